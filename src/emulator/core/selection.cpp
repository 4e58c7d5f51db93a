#include "selection.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <limits>
#include <numeric>

namespace minapp::emulator::detail {

namespace {

std::optional<std::int64_t> as_int64(const boost::json::value& v) {
    if (v.is_int64()) {
        return v.get_int64();
    }
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    return std::nullopt;
}

void raise_min(list_query& q, std::int64_t v) {
    q.min_id = std::max(q.min_id, v);
}
void lower_max(list_query& q, std::int64_t v) {
    q.max_id = std::min(q.max_id, v);
}

/// Tightens the id bounds from one condition on `id`. Anything not understood is skipped: the
/// bounds only narrow the scan and the full filter still decides every candidate.
void narrow_by_condition(list_query& q, const boost::json::value& cond) {
    if (auto v = as_int64(cond)) {
        raise_min(q, *v);
        lower_max(q, *v);
        return;
    }
    if (!cond.is_object()) {
        return;
    }
    for (const auto& [op, operand] : cond.as_object()) {
        if (op == "$in" && operand.is_array() && !operand.as_array().empty()) {
            std::int64_t lo = INT64_MAX;
            std::int64_t hi = INT64_MIN;
            bool all_ints = true;
            for (const auto& item : operand.as_array()) {
                auto v = as_int64(item);
                if (!v) {
                    all_ints = false;
                    break;
                }
                lo = std::min(lo, *v);
                hi = std::max(hi, *v);
            }
            if (all_ints) {
                raise_min(q, lo);
                lower_max(q, hi);
            }
            continue;
        }
        if (op == "$range" && operand.is_array() && operand.as_array().size() == 2) {
            auto lo = as_int64(operand.as_array()[0]);
            auto hi = as_int64(operand.as_array()[1]);
            if (lo && hi && *hi > INT64_MIN) {
                raise_min(q, *lo);
                lower_max(q, *hi - 1);
            }
            continue;
        }
        auto v = as_int64(operand);
        if (!v) {
            continue;
        }
        if (op == "$eq") {
            raise_min(q, *v);
            lower_max(q, *v);
        } else if (op == "$gt" && *v < INT64_MAX) {
            raise_min(q, *v + 1);
        } else if (op == "$gte") {
            raise_min(q, *v);
        } else if (op == "$lt" && *v > INT64_MIN) {
            lower_max(q, *v - 1);
        } else if (op == "$lte") {
            lower_max(q, *v);
        }
    }
}

/// Walks the conjunctive part of a `where` document ($and and top-level clauses; $or cannot
/// bound anything) looking for conditions on `id`.
void narrow_ids(list_query& q, const boost::json::object& doc) {
    for (const auto& [key, cond] : doc) {
        if (key == "$and" && cond.is_array()) {
            for (const auto& sub : cond.as_array()) {
                if (sub.is_object()) {
                    narrow_ids(q, sub.as_object());
                }
            }
        } else if (key == "id") {
            narrow_by_condition(q, cond);
        }
    }
}

/// Adds the fields a `where` object reads to `fields`; false if the document has a clause this
/// walk does not understand (it then cannot promise to know every field).
bool collect_fields(const boost::json::object& doc, std::vector<std::string>& fields) {
    for (const auto& [key, cond] : doc) {
        if (key == "$and" || key == "$or") {
            if (!cond.is_array()) {
                return false;
            }
            for (const auto& sub : cond.as_array()) {
                if (!sub.is_object() || !collect_fields(sub.as_object(), fields)) {
                    return false;
                }
            }
        } else if (key.starts_with('$')) {
            return false;
        } else if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
            fields.emplace_back(key);
        }
    }
    return true;
}

int type_rank(const boost::json::value* v) {
    if (v == nullptr || v->is_null()) {
        return 0;
    }
    if (v->is_bool()) {
        return 1;
    }
    if (v->is_number()) {
        return 2;
    }
    if (v->is_string()) {
        return 3;
    }
    return 4;
}

template <class T>
int three_way(const T& a, const T& b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

/// A total order over stored values for sorting: unset/null, then booleans, numbers, strings,
/// and finally arrays/objects by their JSON text.
int compare_values(const boost::json::value& a, const boost::json::value& b) {
    const int ra = type_rank(&a);
    const int rb = type_rank(&b);
    if (ra != rb) {
        return three_way(ra, rb);
    }
    switch (ra) {
    case 0:
        return 0;
    case 1:
        return three_way(a.get_bool(), b.get_bool());
    case 2:
        if (a.is_int64() && b.is_int64()) {
            return three_way(a.get_int64(), b.get_int64());
        }
        return three_way(a.to_number<double>(), b.to_number<double>());
    case 3:
        return three_way(std::string_view(a.get_string()), std::string_view(b.get_string()));
    default:
        return three_way(boost::json::serialize(a), boost::json::serialize(b));
    }
}

enum class scan { none, forward, backward };

/// Whether the order equals the store's id order (or its reverse).
scan natural_scan(const user_store& store, const list_query& q) {
    if (q.filter.sorts_by_distance()) {
        return scan::none;
    }
    const auto& o = q.order;
    auto direction = [](bool descending) {
        return descending ? scan::backward : scan::forward;
    };
    if (o.size() == 1 && o[0].field == "id") {
        return direction(o[0].descending);
    }
    if (o.size() == 2 && o[0].field == "created_at" && o[1].field == "id" &&
        o[0].descending == o[1].descending && store.created_at_follows_id()) {
        return direction(o[0].descending);
    }
    return scan::none;
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    return a > std::numeric_limits<std::uint64_t>::max() - b
               ? std::numeric_limits<std::uint64_t>::max()
               : a + b;
}

list_result scan_in_place(const user_store& store, const list_query& q, std::size_t lo,
                          std::size_t hi, bool forward) {
    list_result out;
    const auto offset = static_cast<std::uint64_t>(q.window.offset);
    const auto stop = saturating_add(offset, static_cast<std::uint64_t>(q.window.limit));
    auto index_at = [&](std::uint64_t k) {
        return forward ? lo + static_cast<std::size_t>(k) : hi - 1 - static_cast<std::size_t>(k);
    };
    const std::uint64_t span = hi - lo;
    if (q.match_all) {
        for (std::uint64_t k = offset; k < std::min(stop, span); ++k) {
            out.rows.push_back(index_at(k));
        }
        out.has_more = stop < span;
        out.total = span;
        return out;
    }
    record_reader reader(store);
    const auto records = store.records();
    std::uint64_t rank = 0;
    for (std::uint64_t k = 0; k < span; ++k) {
        const std::size_t at = index_at(k);
        const auto& user = q.where_fields ? reader.read_fields(records[at], *q.where_fields)
                                          : reader.read(records[at]);
        if (!q.filter.matches(user)) {
            continue;
        }
        if (rank >= stop) {
            out.has_more = true;
            if (!q.window.want_total) {
                break;
            }
        } else if (rank >= offset) {
            out.rows.push_back(at);
        }
        ++rank;
    }
    out.total = rank;
    return out;
}

list_result sort_matches(const user_store& store, const list_query& q, std::size_t lo,
                         std::size_t hi) {
    const bool by_distance = q.filter.sorts_by_distance();
    const std::size_t width = q.order.size();
    std::vector<std::size_t> matches;
    std::vector<double> distances;
    std::vector<boost::json::value> keys; // width values per match
    // The fields both the filter and the sort read, when the filter's are known.
    std::optional<std::vector<std::string>> fields = q.where_fields;
    if (fields) {
        for (const order_key& k : q.order) {
            if (std::find(fields->begin(), fields->end(), k.field) == fields->end()) {
                fields->push_back(k.field);
            }
        }
    }
    record_reader reader(store);
    const auto records = store.records();
    for (std::size_t at = lo; at < hi; ++at) {
        const boost::json::object& user =
            fields ? reader.read_fields(records[at], *fields) : reader.read(records[at]);
        if (!q.match_all && !q.filter.matches(user)) {
            continue;
        }
        matches.push_back(at);
        if (by_distance) {
            distances.push_back(q.filter.sort_key(user));
        }
        for (const order_key& k : q.order) {
            const boost::json::value* v = user.if_contains(k.field);
            // Copy into the default resource: the reader's arena is reused for the next record
            // (a plain copy would keep the source's storage).
            keys.emplace_back(v != nullptr ? boost::json::value(*v, boost::json::storage_ptr())
                                           : boost::json::value());
        }
    }
    std::vector<std::size_t> perm(matches.size());
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    auto less = [&](std::size_t a, std::size_t b) {
        if (by_distance && distances[a] != distances[b]) {
            return distances[a] < distances[b];
        }
        for (std::size_t i = 0; i < width; ++i) {
            int c = compare_values(keys[a * width + i], keys[b * width + i]);
            if (c != 0) {
                return q.order[i].descending ? c > 0 : c < 0;
            }
        }
        return false;
    };
    const std::uint64_t offset = static_cast<std::uint64_t>(q.window.offset);
    const std::uint64_t stop = saturating_add(offset, static_cast<std::uint64_t>(q.window.limit));
    const auto end = static_cast<std::size_t>(std::min<std::uint64_t>(stop, perm.size()));
    std::partial_sort(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(end), perm.end(),
                      less);
    list_result out;
    for (std::uint64_t k = offset; k < end; ++k) {
        out.rows.push_back(matches[perm[static_cast<std::size_t>(k)]]);
    }
    out.has_more = stop < perm.size();
    out.total = matches.size();
    return out;
}

} // namespace

std::optional<std::string> compile_where(list_query& q, const std::optional<std::string>& where,
                                         const schema& s) {
    if (!where) {
        q.match_all = true;
        return std::nullopt;
    }
    auto parsed = where_filter::parse(*where, s);
    if (!parsed) {
        return parsed.error().message;
    }
    q.filter = std::move(*parsed);
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(*where, ec);
    q.match_all = !ec && doc.is_object() && doc.as_object().empty();
    if (!ec && doc.is_object()) {
        narrow_ids(q, doc.as_object());
        std::vector<std::string> fields;
        q.where_fields = collect_fields(doc.as_object(), fields)
                             ? std::optional<std::vector<std::string>>(std::move(fields))
                             : std::nullopt;
    } else {
        q.where_fields = std::nullopt;
    }
    return std::nullopt;
}

list_result run_query(const user_store& store, const list_query& q) {
    std::size_t lo = q.min_id == INT64_MIN ? 0 : store.lower_bound(q.min_id);
    std::size_t hi = q.max_id == INT64_MAX ? store.size() : store.lower_bound(q.max_id + 1);
    hi = std::max(lo, hi);
    switch (natural_scan(store, q)) {
    case scan::forward:
        return scan_in_place(store, q, lo, hi, true);
    case scan::backward:
        return scan_in_place(store, q, lo, hi, false);
    case scan::none:
        break;
    }
    return sort_matches(store, q, lo, hi);
}

} // namespace minapp::emulator::detail
