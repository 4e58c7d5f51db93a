#include "where_geo.hpp"

#include "where_value.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace minapp::emulator::detail {

namespace {

enum class ring_position { outside, boundary, inside };

double as_double(const boost::json::value& v) noexcept {
    if (v.is_int64()) {
        return static_cast<double>(v.get_int64());
    }
    if (v.is_uint64()) {
        return static_cast<double>(v.get_uint64());
    }
    return v.get_double();
}

bool has_type(const boost::json::object& o, std::string_view type) {
    const auto* t = o.if_contains("type");
    return t != nullptr && t->is_string() && t->get_string() == type;
}

bool on_segment(geo_point a, geo_point b, geo_point p) noexcept {
    // Tolerance far below any meaningful coordinate precision (1e-9 degrees is ~0.1 mm).
    constexpr double eps = 1e-9;
    const double cross = (b.lng - a.lng) * (p.lat - a.lat) - (b.lat - a.lat) * (p.lng - a.lng);
    if (std::abs(cross) > eps) {
        return false;
    }
    return p.lng >= std::min(a.lng, b.lng) - eps && p.lng <= std::max(a.lng, b.lng) + eps &&
           p.lat >= std::min(a.lat, b.lat) - eps && p.lat <= std::max(a.lat, b.lat) + eps;
}

// Even-odd ray casting; rings are closed, so edge i runs from ring[i] to ring[i + 1].
ring_position locate(const std::vector<geo_point>& ring, geo_point p) noexcept {
    bool inside = false;
    for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
        const geo_point a = ring[i];
        const geo_point b = ring[i + 1];
        if (on_segment(a, b, p)) {
            return ring_position::boundary;
        }
        if ((a.lat > p.lat) != (b.lat > p.lat)) {
            const double x = a.lng + (p.lat - a.lat) * (b.lng - a.lng) / (b.lat - a.lat);
            if (p.lng < x) {
                inside = !inside;
            }
        }
    }
    return inside ? ring_position::inside : ring_position::outside;
}

double radians(double degrees) noexcept {
    return degrees * std::numbers::pi / 180.0;
}

} // namespace

std::optional<geo_point> parse_geo_position(const boost::json::value& v) {
    const auto* a = v.if_array();
    if (a == nullptr || a->size() != 2 || !is_number((*a)[0]) || !is_number((*a)[1])) {
        return std::nullopt;
    }
    const geo_point p{as_double((*a)[0]), as_double((*a)[1])};
    if (!(p.lng >= -180.0 && p.lng <= 180.0 && p.lat >= -90.0 && p.lat <= 90.0)) {
        return std::nullopt;
    }
    return p;
}

std::optional<geo_point> parse_geo_point(const boost::json::value& v) {
    const auto* o = v.if_object();
    if (o == nullptr || !has_type(*o, "Point")) {
        return std::nullopt;
    }
    const auto* c = o->if_contains("coordinates");
    return c != nullptr ? parse_geo_position(*c) : std::nullopt;
}

std::optional<geo_polygon> parse_geo_polygon(const boost::json::value& v) {
    const auto* o = v.if_object();
    if (o == nullptr || !has_type(*o, "Polygon")) {
        return std::nullopt;
    }
    const auto* c = o->if_contains("coordinates");
    if (c == nullptr || !c->is_array() || c->get_array().empty()) {
        return std::nullopt;
    }
    geo_polygon poly;
    for (const auto& ring_value : c->get_array()) {
        const auto* ring = ring_value.if_array();
        if (ring == nullptr || ring->size() < 4) {
            return std::nullopt;
        }
        std::vector<geo_point> points;
        points.reserve(ring->size());
        for (const auto& position : *ring) {
            const auto p = parse_geo_position(position);
            if (!p) {
                return std::nullopt;
            }
            points.push_back(*p);
        }
        if (points.front().lng != points.back().lng || points.front().lat != points.back().lat) {
            return std::nullopt;
        }
        poly.rings.push_back(std::move(points));
    }
    return poly;
}

bool geo_contains(const geo_polygon& poly, geo_point p) noexcept {
    if (poly.rings.empty() || locate(poly.rings.front(), p) == ring_position::outside) {
        return false;
    }
    return std::none_of(poly.rings.begin() + 1, poly.rings.end(),
                        [p](const auto& hole) { return locate(hole, p) == ring_position::inside; });
}

double geo_distance_m(geo_point a, geo_point b) noexcept {
    constexpr double earth_radius_m = 6371008.8;
    const double dlat = radians(b.lat - a.lat);
    const double dlng = radians(b.lng - a.lng);
    const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                     std::cos(radians(a.lat)) * std::cos(radians(b.lat)) * std::sin(dlng / 2) *
                         std::sin(dlng / 2);
    return 2.0 * earth_radius_m * std::asin(std::min(1.0, std::sqrt(h)));
}

} // namespace minapp::emulator::detail
