#include "seed.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace minapp::emulator::detail {

namespace {

/// SplitMix64: tiny, fast and fully specified, so the data is the same on every platform (the
/// standard distributions are not).
class splitmix64 {
public:
    explicit splitmix64(std::uint64_t seed)
        : state_(seed) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    /// Uniform-enough in [0, n) for the small n used here.
    std::uint64_t below(std::uint64_t n) { return next() % n; }
    /// True with probability percent/100.
    bool chance(unsigned percent) { return below(100) < percent; }

    template <class T, std::size_t N>
    const T& pick(const std::array<T, N>& items) {
        return items[below(N)];
    }

private:
    std::uint64_t state_;
};

struct place {
    std::string_view country, province, city, language;
    std::int64_t lon_micro, lat_micro; ///< City centre in micro-degrees; 0/0 for "unknown".
};

constexpr std::array<place, 12> places = {{
    {"中国", "广东", "广州", "zh_CN", 113264000, 23129000},
    {"中国", "广东", "深圳", "zh_CN", 114057000, 22543000},
    {"中国", "北京", "北京", "zh_CN", 116407000, 39904000},
    {"中国", "上海", "上海", "zh_CN", 121473000, 31230000},
    {"中国", "浙江", "杭州", "zh_CN", 120155000, 30274000},
    {"中国", "四川", "成都", "zh_CN", 104066000, 30657000},
    {"中国", "台湾", "台北", "zh_TW", 121565000, 25033000},
    {"China", "Guangdong", "Guangzhou", "en", 113264000, 23129000},
    {"China", "Beijing", "Beijing", "en", 116407000, 39904000},
    {"United States", "California", "San Francisco", "en_US", -122419000, 37774000},
    {"日本", "東京都", "東京", "ja", 139692000, 35689000},
    {"", "", "", "zh_CN", 0, 0},
}};

constexpr std::array<std::string_view, 20> chinese_surnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
    "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"};
constexpr std::array<std::string_view, 20> chinese_given = {
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊",   "军",
    "洋", "勇", "艳", "杰",   "娟", "涛", "明", "超", "秀兰", "晓东"};
constexpr std::array<std::string_view, 20> latin_given = {
    "Alice",   "Bob",  "Carol",  "Dave",  "Eve",    "Frank", "Grace", "Heidi",  "Ivan",   "Judy",
    "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Zoe"};
constexpr std::array<std::string_view, 8> latin_family = {"Smith",  "Chen",   "Wang", "Garcia",
                                                          "Müller", "Tanaka", "Kim",  "Nguyen"};
constexpr std::array<std::string_view, 5> tag_words = {"新用户", "vip", "beta", "早鸟", "tester"};
constexpr std::array<std::string_view, 4> bios = {"热爱生活", "Coffee first", "摄影爱好者",
                                                  "Just here for the API"};
constexpr std::array<std::int64_t, 5> group_ids = {137, 258, 360, 412, 1001};

constexpr std::int64_t first_created_at = 1514764800; // 2018-01-01T00:00:00Z
constexpr std::int64_t last_created_at = 1735689600;  // 2025-01-01T00:00:00Z

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

/// Appends `scaled / 10^decimals` in fixed notation (exact, unlike printing a double).
void append_fixed(std::string& out, std::int64_t scaled, int decimals) {
    if (scaled < 0) {
        out += '-';
        scaled = -scaled;
    }
    std::int64_t unit = 1;
    for (int i = 0; i < decimals; ++i) {
        unit *= 10;
    }
    append_int(out, scaled / unit);
    out += '.';
    std::string frac = std::to_string(scaled % unit);
    out.append(static_cast<std::size_t>(decimals) - frac.size(), '0');
    out += frac;
}

void append_padded(std::string& out, std::int64_t v, std::size_t width) {
    std::string digits = std::to_string(v);
    if (digits.size() < width) {
        out.append(width - digits.size(), '0');
    }
    out += digits;
}

void append_token(std::string& out, splitmix64& rng, std::size_t length,
                  std::string_view alphabet) {
    for (std::size_t i = 0; i < length; ++i) {
        out += alphabet[rng.below(alphabet.size())];
    }
}

constexpr std::string_view base64url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view hex_digits = "0123456789abcdef";

/// Writes one user's JSON text. Every string written here is free of characters JSON would
/// escape, so no escaping pass is needed.
class user_writer {
public:
    explicit user_writer(std::string& out)
        : out_(out) {
        out_ += '{';
    }

    void key(std::string_view name) {
        if (!first_) {
            out_ += ',';
        }
        first_ = false;
        out_ += '"';
        out_ += name;
        out_ += "\":";
    }
    void string(std::string_view name, std::string_view value) {
        key(name);
        quoted(value);
    }
    void quoted(std::string_view value) {
        out_ += '"';
        out_ += value;
        out_ += '"';
    }
    void integer(std::string_view name, std::int64_t value) {
        key(name);
        append_int(out_, value);
    }
    void boolean(std::string_view name, bool value) {
        key(name);
        out_ += value ? "true" : "false";
    }
    void null(std::string_view name) {
        key(name);
        out_ += "null";
    }
    void finish() { out_ += '}'; }
    std::string& raw() { return out_; }

private:
    std::string& out_;
    bool first_ = true;
};

struct generator {
    splitmix64 rng;
    std::int64_t id;
    std::int64_t created_at;
    std::int64_t created_step; ///< Mean gap between creation times.
    std::string scratch;       ///< Reused text buffer.

    void write_custom(user_writer& w, std::string_view column, const place& where, bool& set) {
        set = true;
        std::string& out = w.raw();
        if (column == "avatar_file" && rng.chance(10)) {
            std::string file_id;
            append_token(file_id, rng, 24, hex_digits);
            w.key(column);
            out += "{\"id\":\"" + file_id + "\",\"name\":\"avatar.png\",\"created_at\":";
            append_int(out, created_at);
            out += ",\"mime_type\":\"image/png\",\"cdn_path\":\"" + file_id + ".png\",\"size\":";
            append_int(out, 1024 + static_cast<std::int64_t>(rng.below(500000)));
            out += ",\"path\":\"https://cloud-minapp.example.invalid/" + file_id + ".png\"}";
        } else if (column == "balance" && rng.chance(60)) {
            w.key(column);
            append_fixed(out, static_cast<std::int64_t>(rng.below(1000000)), 2);
        } else if (column == "birthday" && rng.chance(40)) {
            w.key(column);
            out += '"';
            append_int(out, 1960 + static_cast<std::int64_t>(rng.below(51)));
            out += '-';
            append_padded(out, 1 + static_cast<std::int64_t>(rng.below(12)), 2);
            out += '-';
            append_padded(out, 1 + static_cast<std::int64_t>(rng.below(28)), 2);
            out += "T00:00:00.000000+08:00\"";
        } else if (column == "location" && rng.chance(50)) {
            std::int64_t lon = where.lon_micro;
            std::int64_t lat = where.lat_micro;
            if (lon == 0 && lat == 0) {
                lon = static_cast<std::int64_t>(rng.below(360000000)) - 180000000;
                lat = static_cast<std::int64_t>(rng.below(170000000)) - 85000000;
            } else {
                lon += static_cast<std::int64_t>(rng.below(1000001)) - 500000;
                lat += static_cast<std::int64_t>(rng.below(1000001)) - 500000;
            }
            w.key(column);
            out += "{\"type\":\"Point\",\"coordinates\":[";
            append_fixed(out, lon, 6);
            out += ',';
            append_fixed(out, lat, 6);
            out += "]}";
        } else if (column == "profile" && rng.chance(40)) {
            w.key(column);
            out += "{\"age\":";
            append_int(out, 14 + static_cast<std::int64_t>(rng.below(60)));
            if (rng.chance(50)) {
                out += ",\"bio\":\"";
                out += rng.pick(bios);
                out += '"';
            }
            out += '}';
        } else if (column == "referrer" && rng.chance(10)) {
            w.key(column);
            out += "{\"id\":\"";
            append_token(out, rng, 24, hex_digits);
            out += "\",\"_table\":\"_userprofile\"}";
        } else if (column == "score" && rng.chance(70)) {
            w.integer(column, static_cast<std::int64_t>(rng.below(1001)));
        } else if (column == "tags" && rng.chance(50)) {
            w.key(column);
            out += '[';
            const auto n = rng.below(4);
            const auto start = rng.below(tag_words.size());
            for (std::uint64_t i = 0; i < n; ++i) {
                if (i != 0) {
                    out += ',';
                }
                w.quoted(tag_words[(start + i) % tag_words.size()]);
            }
            out += ']';
        } else if (column == "test" && rng.chance(30)) {
            if (rng.chance(50)) {
                w.string(column, "test");
            } else {
                w.key(column);
                out += "\"sample-";
                append_int(out, static_cast<std::int64_t>(rng.below(100)));
                out += '"';
            }
        } else if (column == "vip" && rng.chance(50)) {
            w.boolean(column, rng.chance(30));
        } else {
            set = false;
            w.null(column);
        }
    }

    /// Writes the next user's text into `scratch` and its account keys into `keys`; returns
    /// the record without its text.
    user_record next(std::size_t index, const std::vector<std::string>& custom_columns,
                     account_keys& keys) {
        id += 1 + static_cast<std::int64_t>(rng.below(1000));
        if (!rng.chance(5)) { // 5 % share the previous creation time
            created_at += 1 + static_cast<std::int64_t>(
                                  rng.below(static_cast<std::uint64_t>(2 * created_step)));
        }
        std::int64_t updated_at = created_at;
        if (rng.chance(50) && created_at < last_created_at) {
            updated_at += static_cast<std::int64_t>(
                rng.below(static_cast<std::uint64_t>(last_created_at - created_at)));
        }

        user_record r;
        r.id = id;
        r.created_at = created_at;
        scratch.clear();
        user_writer w(scratch);
        w.integer("id", id);
        w.integer("created_by", id);
        w.integer("created_at", created_at);
        w.integer("updated_at", updated_at);

        const bool chinese = rng.chance(60);
        const std::string_view given = rng.pick(latin_given);
        std::string nickname;
        if (chinese) {
            nickname =
                std::string(rng.pick(chinese_surnames)) + std::string(rng.pick(chinese_given));
        } else {
            nickname = std::string(given);
            if (rng.chance(50)) {
                nickname += ' ';
                nickname += rng.pick(latin_family);
            }
        }
        w.string("nickname", nickname);

        std::string& out = w.raw();
        w.key("avatar");
        out += "\"https://media.ifanrusercontent.com/tavatar/";
        append_token(out, rng, 16, hex_digits);
        out += ".jpg\"";
        w.integer("gender", static_cast<std::int64_t>(rng.below(3)));
        const place& where = rng.pick(places);
        w.string("country", where.country);
        w.string("province", where.province);
        w.string("city", where.city);
        w.string("language", where.language);
        w.key("openid");
        out += "\"o";
        append_token(out, rng, 27, base64url);
        out += '"';
        if (rng.chance(30)) {
            w.null("unionid");
        } else {
            w.key("unionid");
            out += "\"o";
            append_token(out, rng, 27, base64url);
            out += '"';
        }
        w.boolean("is_authorized", rng.chance(90));

        const std::string serial = std::to_string(index);
        keys = {};
        if (rng.chance(50)) {
            // Mixed case on some so that case-insensitive uniqueness is exercised.
            std::string username = (rng.chance(20) ? "User_" : "user_") + serial;
            w.string("_username", username);
            keys.username = ascii_lower(username);
        } else {
            w.null("_username");
        }
        const bool has_email = rng.chance(40);
        if (has_email) {
            std::string email = ascii_lower(given) + "." + serial + "@example.com";
            w.string("_email", email);
            keys.email = email;
        } else {
            w.null("_email");
        }
        const bool has_phone = rng.chance(40);
        if (has_phone) {
            // 7919 is coprime with 10^9, so distinct indices give distinct numbers.
            std::string phone = "13";
            append_padded(phone, static_cast<std::int64_t>((index * 7919) % 1000000000), 9);
            w.string("_phone", phone);
            keys.phone = phone;
        } else {
            w.null("_phone");
        }
        w.boolean("_email_verified", has_email && rng.chance(50));
        w.boolean("_phone_verified", has_phone && rng.chance(50));
        w.key("_group");
        out += '[';
        const auto group_count = rng.below(3);
        const auto first_group = rng.below(group_ids.size());
        for (std::uint64_t g = 0; g < group_count; ++g) {
            if (g != 0) {
                out += ',';
            }
            append_int(out, group_ids[(first_group + g) % group_ids.size()]);
        }
        out += ']';

        for (std::size_t i = 0; i < custom_columns.size(); ++i) {
            bool set = false;
            write_custom(w, custom_columns[i], where, set);
            if (!set) {
                r.unset |= std::uint64_t{1} << i;
            }
        }
        w.finish();
        return r;
    }
};

} // namespace

void seed_users(user_store& store, std::size_t count, std::uint64_t seed) {
    splitmix64 rng(seed);
    const std::int64_t first_id =
        (std::int64_t{1} << 40) + static_cast<std::int64_t>(rng.below(1000000));
    // Gaps average half the per-user share of the span, so creation times stay inside it.
    const std::int64_t span = last_created_at - first_created_at;
    const std::int64_t mean_gap = std::max<std::int64_t>(
        1, span / std::max<std::int64_t>(1, 2 * static_cast<std::int64_t>(count)));
    generator gen{rng, first_id, first_created_at, mean_gap, {}};
    account_keys keys;
    store.reserve(store.size() + count);
    for (std::size_t i = 0; i < count; ++i) {
        const user_record r = gen.next(i, store.custom_names(), keys);
        store.append(r.id, r.created_at, r.unset, gen.scratch, keys);
    }
}

} // namespace minapp::emulator::detail
