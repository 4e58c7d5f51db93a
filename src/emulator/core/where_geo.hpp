// GeoJSON points and polygons of `geojson` columns (notes §2.3) and the geometry the `where`
// geo operators need.
#pragma once

#include <boost/json/fwd.hpp>

#include <optional>
#include <vector>

namespace minapp::emulator::detail {

/// A position in degrees, longitude first as in GeoJSON.
struct geo_point {
    double lng;
    double lat;
};

/// A GeoJSON polygon: the first ring is the outer boundary, further rings are holes.
/// Every ring is closed (first position repeated last) and has at least four positions.
struct geo_polygon {
    std::vector<std::vector<geo_point>> rings;
};

/// Reads a `[lng, lat]` pair; nullopt unless both are numbers within ±180 / ±90.
std::optional<geo_point> parse_geo_position(const boost::json::value& v);

/// Reads `{"type": "Point", "coordinates": [lng, lat]}`.
std::optional<geo_point> parse_geo_point(const boost::json::value& v);

/// Reads `{"type": "Polygon", "coordinates": [[[lng, lat], ...], ...]}` with closed rings of at
/// least four positions.
std::optional<geo_polygon> parse_geo_polygon(const boost::json::value& v);

/// Whether `p` lies inside `poly` or on its boundary (and not strictly inside a hole).
/// Edges are straight lines in the longitude/latitude plane, as for small polygons.
bool geo_contains(const geo_polygon& poly, geo_point p) noexcept;

/// Great-circle distance in metres (haversine, mean Earth radius 6371.0088 km).
double geo_distance_m(geo_point a, geo_point b) noexcept;

} // namespace minapp::emulator::detail
