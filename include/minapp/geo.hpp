// Geographic values of `where` geo conditions (notes §2.3, §4.2).
#pragma once

#include <initializer_list>
#include <utility>
#include <vector>

namespace minapp {

/// A position in degrees. GeoJSON writes the longitude first, and so do these members.
/// Valid values are finite, with |longitude| <= 180 and |latitude| <= 90.
struct geo_point {
    double longitude = 0;
    double latitude = 0;

    friend bool operator==(const geo_point&, const geo_point&) = default;
};

/// A polygon without holes: its outer ring of positions. `where::within` closes an open ring
/// (appends the first position) and then needs at least four positions.
struct geo_polygon {
    geo_polygon() = default;
    /// The ring given as a vector.
    explicit geo_polygon(std::vector<geo_point> positions)
        : ring(std::move(positions)) {}
    /// The ring given inline: `geo_polygon({{116.3, 39.9}, {116.5, 39.9}, {116.4, 40.0}})`.
    geo_polygon(std::initializer_list<geo_point> positions)
        : ring(positions) {}

    std::vector<geo_point> ring;

    friend bool operator==(const geo_polygon&, const geo_polygon&) = default;
};

} // namespace minapp
