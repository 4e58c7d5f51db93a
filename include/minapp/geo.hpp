// Geographic values of `where` geo conditions (notes §2.3, §4.2).
#pragma once

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
    std::vector<geo_point> ring;

    friend bool operator==(const geo_polygon&, const geo_polygon&) = default;
};

} // namespace minapp
