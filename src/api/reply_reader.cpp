#include "reply_reader.hpp"

#include "custom_fields_arena.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value_stack.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace minapp::detail {

namespace json = boost::json;
using boost::system::error_code;

namespace {

// Where the parser stands: the kind of the innermost open container.
enum class ctx : std::uint8_t {
    root,    // before the top-level value
    ignore,  // inside a container nobody reads
    capture, // inside a custom field's value, copied into the value_stack
    page,    // the top-level object of a list reply (also of a count reply)
    meta,    // a page's meta object
    users,   // a page's objects array (or a v1 lookup's)
    user,    // a v2 user
    user_v1, // a v1 user (also the top-level object of a v1 lookup)
    groups,  // a v1 user's user_group array
    batch,   // the top-level object of a batch reply
    results, // its operation_result array
    entry,   // one entry of operation_result
    success, // an entry's success object
    failure, // an entry's error object
    account, // the top-level object of an account reply
};

// What a key means in its object, resolved when the whole key has arrived.
enum class key : std::uint8_t {
    none,
    other, // read by nobody
    custom,
    id,
    user_id,
    nickname,
    avatar,
    gender,
    country,
    province,
    city,
    language,
    openid,
    unionid,
    is_authorized,
    created_at,
    updated_at,
    created_by,
    user_group,
    meta,
    objects,
    limit,
    offset,
    next,
    previous,
    total_count,
    operation_result,
    succeed,
    success,
    error,
    err_msg,
    code,
    username,
    email,
    email_verified,
    phone,
    phone_verified,
};

struct frame {
    ctx where;
    key pending = key::none; // the key whose value comes next (objects only)
};

// A scalar as json_reply's lenient conversions see it.
struct scalar {
    enum class kind : std::uint8_t { none, int64, uint64, real, text, boolean, null, container };
    kind what = kind::none;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    double d = 0;
    bool b = false;
    const std::string* text = nullptr;
};

// as_int64 of json_reply.cpp: integers, integral doubles, and decimal strings.
std::optional<std::int64_t> to_int64(const scalar& s) {
    switch (s.what) {
    case scalar::kind::int64:
        return s.i;
    case scalar::kind::uint64:
        if (s.u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return static_cast<std::int64_t>(s.u);
        }
        return std::nullopt;
    case scalar::kind::real:
        if (std::trunc(s.d) == s.d && std::abs(s.d) < 9.2e18) {
            return static_cast<std::int64_t>(s.d);
        }
        return std::nullopt;
    case scalar::kind::text: {
        // Some SDKs type ids as strings (notes §1.5): accept decimal text.
        const std::string& t = *s.text;
        if (t.empty() || t.size() > 19) {
            return std::nullopt;
        }
        std::int64_t out = 0;
        for (char c : t) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            const int digit = c - '0';
            if (out > (std::numeric_limits<std::int64_t>::max() - digit) / 10) {
                return std::nullopt; // above INT64_MAX, like a uint64 number above it
            }
            out = out * 10 + digit;
        }
        return out;
    }
    default:
        return std::nullopt;
    }
}

bool is(std::string_view k, std::string_view name) noexcept {
    return k.size() == name.size() && std::memcmp(k.data(), name.data(), k.size()) == 0;
}

// The typed built-ins of a v2 user (everything else is a custom field).
key user_key(std::string_view k) noexcept {
    switch (k.size()) {
    case 2:
        return is(k, "id") ? key::id : key::custom;
    case 4:
        return is(k, "city") ? key::city : key::custom;
    case 6:
        return is(k, "avatar")   ? key::avatar
               : is(k, "gender") ? key::gender
               : is(k, "openid") ? key::openid
                                 : key::custom;
    case 7:
        return is(k, "country") ? key::country : is(k, "unionid") ? key::unionid : key::custom;
    case 8:
        return is(k, "nickname")   ? key::nickname
               : is(k, "province") ? key::province
               : is(k, "language") ? key::language
                                   : key::custom;
    case 10:
        return is(k, "created_at")   ? key::created_at
               : is(k, "updated_at") ? key::updated_at
               : is(k, "created_by") ? key::created_by
                                     : key::custom;
    case 13:
        return is(k, "is_authorized") ? key::is_authorized : key::custom;
    default:
        return key::custom;
    }
}

// The fields a v1 user is read from.
key user_v1_key(std::string_view k) noexcept {
    static constexpr std::pair<std::string_view, key> keys[] = {
        {"id", key::id},
        {"user_id", key::user_id},
        {"nickname", key::nickname},
        {"avatar", key::avatar},
        {"gender", key::gender},
        {"country", key::country},
        {"province", key::province},
        {"city", key::city},
        {"openid", key::openid},
        {"unionid", key::unionid},
        {"created_at", key::created_at},
        {"user_group", key::user_group},
    };
    for (const auto& [name, k2] : keys) {
        if (is(k, name)) {
            return k2;
        }
    }
    return key::other;
}

template <std::size_t N>
key lookup(std::string_view k, const std::pair<std::string_view, key> (&keys)[N]) noexcept {
    for (const auto& [name, value] : keys) {
        if (is(k, name)) {
            return value;
        }
    }
    return key::other;
}

constexpr std::pair<std::string_view, key> page_keys[] = {{"meta", key::meta},
                                                          {"objects", key::objects}};
constexpr std::pair<std::string_view, key> meta_keys[] = {{"limit", key::limit},
                                                          {"offset", key::offset},
                                                          {"next", key::next},
                                                          {"previous", key::previous},
                                                          {"total_count", key::total_count}};
constexpr std::pair<std::string_view, key> batch_keys[] = {
    {"operation_result", key::operation_result},
    {"succeed", key::succeed},
    {"total_count", key::total_count},
    {"offset", key::offset},
    {"limit", key::limit},
    {"next", key::next}};
constexpr std::pair<std::string_view, key> entry_keys[] = {{"success", key::success},
                                                           {"error", key::error}};
constexpr std::pair<std::string_view, key> success_keys[] = {{"id", key::id},
                                                             {"updated_at", key::updated_at}};
constexpr std::pair<std::string_view, key> failure_keys[] = {{"err_msg", key::err_msg},
                                                             {"code", key::code}};
constexpr std::pair<std::string_view, key> account_keys[] = {
    {"username", key::username},
    {"email", key::email},
    {"email_verified", key::email_verified},
    {"phone", key::phone},
    {"phone_verified", key::phone_verified}};

// The v2 user being read, with what the last occurrence of each typed key held.
struct user_draft {
    user_profile* user = nullptr;
    std::optional<std::int64_t> id;
    std::size_t custom = 0; // custom keys pushed onto the value_stack
};

struct user_v1_draft {
    user_v1 user;
    std::optional<std::int64_t> user_id;
};

struct meta_draft {
    page_meta meta;
};

struct entry_draft {
    bool success_object = false;
    bool error_object = false;
    batch_success ok;
    batch_error failed;
};

// The SAX handler: follows the shape being read, converts scalars in place, and copies custom
// fields into a value_stack.
class handler {
public:
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    explicit handler(reply_shape shape)
        : shape_(shape)
        , values_({}, stack_buffer_, sizeof stack_buffer_) {
        frames_.reserve(16);
    }

    /// Ready for another body of `shape` (what the reader holds keeps its capacity).
    void reset(reply_shape shape) {
        shape_ = shape;
        single_ = user_profile{};
        root_problem_.reset();
        page_ = user_page{};
        page_v1_ = basic_page<user_v1>{};
        meta_ok_ = objects_ok_ = results_ok_ = false;
        user_problem_.reset();
        lookup_count_ = 0;
        lookup_first_.reset();
        root_v1_ = user_v1_draft{};
        batch_ = batch_update_result{};
        entry_problem_.reset();
        account_ = account_info{};
        single_problem_.reset();
        meta_ = meta_draft{};
        frames_.clear();
        key_.clear();
        text_.clear();
        in_string_ = false;
        user_ = user_draft{};
        element_v1_ = user_v1_draft{};
        v1_ = &root_v1_;
        entry_ = entry_draft{};
    }

    bool on_document_begin(error_code&) {
        frames_.push_back({ctx::root});
        return true;
    }
    bool on_document_end(error_code&) { return true; }

    bool on_object_begin(error_code&) {
        open(true);
        return true;
    }
    bool on_object_end(std::size_t n, error_code&) {
        close(n, false);
        return true;
    }
    bool on_array_begin(error_code&) {
        open(false);
        return true;
    }
    bool on_array_end(std::size_t n, error_code&) {
        close(n, true);
        return true;
    }

    bool on_key_part(json::string_view s, std::size_t, error_code&) {
        if (top().where == ctx::capture) {
            values_.push_chars(s);
        } else if (top().where != ctx::ignore) {
            key_.append(s.data(), s.size());
        }
        return true;
    }
    bool on_key(json::string_view s, std::size_t, error_code&) {
        frame& f = top();
        if (f.where == ctx::capture) {
            values_.push_key(s);
            return true;
        }
        if (f.where == ctx::ignore) {
            return true;
        }
        std::string_view k(s.data(), s.size());
        if (!key_.empty()) {
            key_.append(s.data(), s.size());
            k = key_;
        }
        f.pending = resolve(f.where, k);
        if (f.pending == key::custom) {
            if (user_.custom++ == 0) {
                // The user's first custom field: the fields are built in an arena of their own.
                arena_ = json::make_shared_resource<custom_fields_arena>(&building_);
                values_.reset(arena_);
            }
            values_.push_key(json::string_view(k.data(), k.size()));
        }
        key_.clear();
        return true;
    }

    bool on_string_part(json::string_view s, std::size_t, error_code&) {
        append_text(s, false);
        return true;
    }
    bool on_string(json::string_view s, std::size_t, error_code&) {
        append_text(s, true);
        return true;
    }
    bool on_number_part(json::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, error_code&) {
        if (top().where == ctx::capture || pending_custom()) {
            values_.push_int64(i);
        } else {
            scalar s;
            s.what = scalar::kind::int64;
            s.i = i;
            value(s);
        }
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
        if (top().where == ctx::capture || pending_custom()) {
            values_.push_uint64(u);
        } else {
            scalar s;
            s.what = scalar::kind::uint64;
            s.u = u;
            value(s);
        }
        return true;
    }
    bool on_double(double d, json::string_view, error_code&) {
        if (top().where == ctx::capture || pending_custom()) {
            values_.push_double(d);
        } else {
            scalar s;
            s.what = scalar::kind::real;
            s.d = d;
            value(s);
        }
        return true;
    }
    bool on_bool(bool b, error_code&) {
        if (top().where == ctx::capture || pending_custom()) {
            values_.push_bool(b);
        } else {
            scalar s;
            s.what = scalar::kind::boolean;
            s.b = b;
            value(s);
        }
        return true;
    }
    bool on_null(error_code&) {
        if (top().where == ctx::capture || pending_custom()) {
            values_.push_null();
        } else {
            scalar s;
            s.what = scalar::kind::null;
            value(s);
        }
        return true;
    }
    bool on_comment_part(json::string_view, error_code&) { return true; }
    bool on_comment(json::string_view, error_code&) { return true; }

    // ---- results ------------------------------------------------------------------------

    reply_shape shape_;
    // v2 user (shape user) and pages.
    user_profile single_;
    std::optional<std::string> root_problem_; // the top-level value is not an object
    user_page page_;
    basic_page<user_v1> page_v1_;
    bool meta_ok_ = false;                    // the last "meta" was an object
    bool objects_ok_ = false;                 // the last "objects" was an array
    std::optional<std::string> user_problem_; // the first user of the last "objects" that failed
    std::size_t lookup_count_ = 0;            // elements of a v1 lookup's objects array
    std::optional<parsed<user_v1>> lookup_first_;
    user_v1_draft root_v1_; // a v1 lookup's top-level object read as a user
    // batch
    batch_update_result batch_;
    bool results_ok_ = false;
    std::optional<std::string> entry_problem_;
    // account
    account_info account_;

private:
    frame& top() noexcept { return frames_.back(); }

    bool pending_custom() const noexcept { return frames_.back().pending == key::custom; }

    key resolve(ctx where, std::string_view k) const noexcept {
        switch (where) {
        case ctx::user:
            return user_key(k);
        case ctx::user_v1:
            if (is(k, "objects") && frames_.size() == 2 && shape_ == reply_shape::v1_user) {
                return key::objects; // a v1 lookup's envelope
            }
            return user_v1_key(k);
        case ctx::page:
            return lookup(k, page_keys);
        case ctx::meta:
            return lookup(k, meta_keys);
        case ctx::batch:
            return lookup(k, batch_keys);
        case ctx::entry:
            return lookup(k, entry_keys);
        case ctx::success:
            return lookup(k, success_keys);
        case ctx::failure:
            return lookup(k, failure_keys);
        case ctx::account:
            return lookup(k, account_keys);
        default:
            return key::other;
        }
    }

    // A container starts as the value of the current key or array element.
    void open(bool object) {
        frame& f = top();
        if (f.where == ctx::ignore || f.where == ctx::capture) {
            frames_.push_back({f.where});
            return;
        }
        const key k = f.pending;
        if (k == key::custom) {
            frames_.push_back({ctx::capture});
            return;
        }
        frames_.push_back({container_for(f.where, k, object)});
    }

    // What a container becomes, and the bookkeeping its start implies: a typed key of a user,
    // meta, batch or account object holding a container is not of its type (its default).
    ctx container_for(ctx where, key k, bool object) {
        switch (where) {
        case ctx::user:
        case ctx::meta:
        case ctx::success:
        case ctx::failure:
        case ctx::account:
            mismatch();
            return ctx::ignore;
        case ctx::root:
            return root_container(object);
        case ctx::page:
            if (k == key::meta) {
                meta_ok_ = object;
                if (object) {
                    meta_ = meta_draft{};
                    return ctx::meta;
                }
            } else if (k == key::objects && shape_ != reply_shape::total_count) {
                objects_ok_ = !object;
                if (!object) {
                    start_users();
                    return ctx::users;
                }
            }
            return ctx::ignore;
        case ctx::users:
            return user_element(object);
        case ctx::user_v1:
            if (k == key::user_group) {
                v1_target().user.user_group.clear();
                return object ? ctx::ignore : ctx::groups;
            }
            if (k == key::objects) {
                objects_ok_ = !object;
                if (!object) {
                    start_users();
                    return ctx::users;
                }
            }
            mismatch();
            return ctx::ignore;
        case ctx::batch:
            if (k == key::operation_result) {
                results_ok_ = !object;
                if (!object) {
                    batch_.results.clear();
                    entry_problem_.reset();
                    return ctx::results;
                }
            }
            mismatch();
            return ctx::ignore;
        case ctx::results:
            if (!object) {
                note_entry_problem("operation_result entry is not an object");
                return ctx::ignore;
            }
            entry_ = entry_draft{};
            return ctx::entry;
        case ctx::entry:
            if (k == key::success) {
                entry_.success_object = object;
                if (object) {
                    entry_.ok = batch_success{};
                    return ctx::success;
                }
            } else if (k == key::error) {
                entry_.error_object = object;
                if (object) {
                    entry_.failed = batch_error{};
                    return ctx::failure;
                }
            }
            return ctx::ignore;
        default:
            return ctx::ignore;
        }
    }

    // The current key's value is a container where a scalar is read: it counts as absent.
    void mismatch() {
        scalar s;
        s.what = scalar::kind::container;
        value(s);
    }

    ctx root_container(bool object) {
        if (!object) {
            note_root_problem();
            return ctx::ignore;
        }
        switch (shape_) {
        case reply_shape::user:
            start_user(single_);
            return ctx::user;
        case reply_shape::user_page:
        case reply_shape::total_count:
        case reply_shape::v1_page:
            return ctx::page;
        case reply_shape::v1_user:
            root_v1_ = user_v1_draft{};
            v1_ = &root_v1_;
            return ctx::user_v1;
        case reply_shape::batch_update:
            return ctx::batch;
        case reply_shape::account:
            return ctx::account;
        }
        return ctx::ignore;
    }

    ctx user_element(bool object) {
        if (shape_ == reply_shape::v1_user) {
            // A v1 lookup: only the first element counts (there must be exactly one).
            if (lookup_count_++ != 0) {
                return ctx::ignore;
            }
            if (!object) {
                lookup_first_.emplace(shape_error{"v1 user is not a JSON object"});
                return ctx::ignore;
            }
            element_v1_ = user_v1_draft{};
            v1_ = &element_v1_;
            return ctx::user_v1;
        }
        if (shape_ == reply_shape::v1_page) {
            if (!object) {
                note_user_problem("v1 user is not a JSON object");
                return ctx::ignore;
            }
            element_v1_ = user_v1_draft{};
            v1_ = &element_v1_;
            return ctx::user_v1;
        }
        if (!object) {
            note_user_problem("user is not a JSON object");
            return ctx::ignore;
        }
        start_user(page_.objects.emplace_back());
        return ctx::user;
    }

    void start_users() {
        user_problem_.reset();
        lookup_count_ = 0;
        lookup_first_.reset();
        if (shape_ == reply_shape::user_page) {
            page_.objects.clear();
            if (meta_ok_ && meta_.meta.limit > 0) {
                page_.objects.reserve(static_cast<std::size_t>(
                    std::min<std::int64_t>(meta_.meta.limit, 1000))); // the server sends meta first
            }
        } else if (shape_ == reply_shape::v1_page) {
            page_v1_.objects.clear();
        }
    }

    void start_user(user_profile& u) {
        user_ = user_draft{};
        user_.user = &u;
        arena_ = {};
        building_ = nullptr;
        values_.reset();
    }

    // A container closes; its parent's value is then complete.
    void close(std::size_t n, bool array) {
        const ctx where = top().where;
        frames_.pop_back();
        switch (where) {
        case ctx::capture:
            if (array) {
                values_.push_array(n);
            } else {
                values_.push_object(n);
            }
            break;
        case ctx::user:
            finish_user();
            break;
        case ctx::user_v1:
            finish_user_v1();
            break;
        case ctx::meta:
            break;
        case ctx::entry:
            finish_entry();
            break;
        default:
            break;
        }
        if (!frames_.empty()) {
            top().pending = key::none;
        }
    }

    void finish_user() {
        user_profile& u = *user_.user;
        values_.push_object(user_.custom);
        json::object fields(std::move(values_.release().get_object()));
        // Constructed in place, not assigned: a move assignment between different storages
        // copies, and the fields must keep the arena they were built in.
        std::destroy_at(&u.custom_fields);
        std::construct_at(&u.custom_fields, std::move(fields));
        if (building_ != nullptr) {
            building_->seal();
            building_ = nullptr;
            arena_ = {};
        }
        if (!user_.id) {
            if (shape_ == reply_shape::user) {
                single_problem_ = "user has no integer id";
            } else {
                note_user_problem("user has no integer id");
            }
            return;
        }
        u.id = *user_.id;
    }

    void finish_user_v1() {
        user_v1_draft& d = *v1_;
        if (d.user_id) {
            d.user.user_id = *d.user_id;
        }
        if (v1_ == &root_v1_) {
            return; // decided at the end: the lookup may have an objects array
        }
        parsed<user_v1> result =
            d.user_id ? parsed<user_v1>(std::move(d.user))
                      : parsed<user_v1>(shape_error{"v1 user has no integer user_id"});
        if (shape_ == reply_shape::v1_user) {
            lookup_first_.emplace(std::move(result));
        } else if (result) {
            page_v1_.objects.push_back(std::move(*result));
        } else {
            note_user_problem(result.error().message);
        }
        v1_ = &root_v1_;
    }

    void finish_entry() {
        if (entry_.success_object) {
            batch_.results.emplace_back(std::move(entry_.ok));
        } else if (entry_.error_object) {
            batch_.results.emplace_back(std::move(entry_.failed));
        } else {
            note_entry_problem("operation_result entry has neither success nor error");
        }
    }

    void note_root_problem() {
        switch (shape_) {
        case reply_shape::user:
            root_problem_ = "user is not a JSON object";
            break;
        case reply_shape::user_page:
        case reply_shape::total_count:
            root_problem_ = "list reply is not a JSON object";
            break;
        case reply_shape::v1_page:
            root_problem_ = "v1 list reply is not a JSON object";
            break;
        case reply_shape::v1_user:
            root_problem_ = "v1 user reply is not a JSON object";
            break;
        case reply_shape::batch_update:
            root_problem_ = "batch reply is not a JSON object";
            break;
        case reply_shape::account:
            root_problem_ = "account reply is not a JSON object";
            break;
        }
    }

    void note_user_problem(std::string problem) {
        if (!user_problem_) {
            user_problem_ = std::move(problem);
        }
    }

    void note_entry_problem(std::string problem) {
        if (!entry_problem_) {
            entry_problem_ = std::move(problem);
        }
    }

    user_v1_draft& v1_target() { return *v1_; }

    // The characters of a string value (or part of it), and its end.
    void append_text(json::string_view s, bool last) {
        frame& f = top();
        if (f.where == ctx::capture || f.pending == key::custom) {
            if (last) {
                values_.push_string(s);
            } else {
                values_.push_chars(s);
            }
            return;
        }
        if (!in_string_) {
            in_string_ = true;
            text_.clear();
        }
        text_.append(s.data(), s.size());
        if (last) {
            in_string_ = false;
            scalar v;
            v.what = scalar::kind::text;
            v.text = &text_;
            value(v);
        }
    }

    // A complete value of the current key or array element (a container only as a marker).
    void value(const scalar& v) {
        frame& f = top();
        const key k = f.pending;
        switch (f.where) {
        case ctx::root:
            note_root_problem();
            break;
        case ctx::user:
            user_value(k, v);
            break;
        case ctx::user_v1:
            user_v1_value(k, v);
            break;
        case ctx::groups:
            if (const auto id = to_int64(v)) {
                v1_target().user.user_group.push_back(*id);
            }
            break;
        case ctx::users:
            user_element(false); // a scalar where a user is expected
            break;
        case ctx::page:
            if (k == key::meta) {
                meta_ok_ = false;
            } else if (k == key::objects && shape_ != reply_shape::total_count) {
                objects_ok_ = false;
            }
            break;
        case ctx::meta:
            meta_value(meta_.meta, k, v);
            break;
        case ctx::batch:
            batch_value(k, v);
            break;
        case ctx::results:
            note_entry_problem("operation_result entry is not an object");
            break;
        case ctx::entry:
            if (k == key::success) {
                entry_.success_object = false;
            } else if (k == key::error) {
                entry_.error_object = false;
            }
            break;
        case ctx::success:
            if (k == key::id) {
                if (v.what == scalar::kind::text) {
                    entry_.ok.id = *v.text;
                } else if (const auto n = to_int64(v)) {
                    entry_.ok.id = std::to_string(*n);
                } else {
                    entry_.ok.id.clear();
                }
            } else if (k == key::updated_at) {
                entry_.ok.updated_at = to_int64(v).value_or(0);
            }
            break;
        case ctx::failure:
            if (k == key::err_msg) {
                assign_string(entry_.failed.message, v);
            } else if (k == key::code) {
                entry_.failed.code = to_int64(v).value_or(0);
            }
            break;
        case ctx::account:
            account_value(k, v);
            break;
        default:
            break;
        }
        if (v.what != scalar::kind::container) {
            f.pending = key::none;
        }
    }

    static void assign_string(std::string& out, const scalar& v) {
        if (v.what == scalar::kind::text) {
            out = *v.text;
        } else {
            out.clear();
        }
    }

    static void assign_optional(std::optional<std::string>& out, const scalar& v) {
        if (v.what == scalar::kind::text) {
            out = *v.text;
        } else {
            out.reset();
        }
    }

    void user_value(key k, const scalar& v) {
        user_profile& u = *user_.user;
        switch (k) {
        case key::id:
            user_.id = to_int64(v);
            break;
        case key::nickname:
            assign_string(u.nickname, v);
            break;
        case key::avatar:
            assign_string(u.avatar, v);
            break;
        case key::gender:
            u.gender = static_cast<int>(to_int64(v).value_or(0));
            break;
        case key::country:
            assign_string(u.country, v);
            break;
        case key::province:
            assign_string(u.province, v);
            break;
        case key::city:
            assign_string(u.city, v);
            break;
        case key::language:
            assign_string(u.language, v);
            break;
        case key::openid:
            assign_string(u.openid, v);
            break;
        case key::unionid:
            assign_optional(u.unionid, v);
            break;
        case key::is_authorized:
            u.is_authorized = v.what == scalar::kind::boolean && v.b;
            break;
        case key::created_at:
            u.created_at = to_int64(v).value_or(0);
            break;
        case key::updated_at:
            u.updated_at = to_int64(v).value_or(0);
            break;
        case key::created_by:
            u.created_by = to_int64(v).value_or(0);
            break;
        default:
            break;
        }
    }

    void user_v1_value(key k, const scalar& v) {
        user_v1_draft& d = v1_target();
        user_v1& u = d.user;
        switch (k) {
        case key::id:
            u.id = to_int64(v).value_or(0);
            break;
        case key::user_id:
            d.user_id = to_int64(v);
            break;
        case key::nickname:
            assign_string(u.nickname, v);
            break;
        case key::avatar:
            assign_string(u.avatar, v);
            break;
        case key::gender:
            u.gender = static_cast<int>(to_int64(v).value_or(0));
            break;
        case key::country:
            assign_string(u.country, v);
            break;
        case key::province:
            assign_string(u.province, v);
            break;
        case key::city:
            assign_string(u.city, v);
            break;
        case key::openid:
            assign_string(u.openid, v);
            break;
        case key::unionid:
            assign_optional(u.unionid, v);
            break;
        case key::created_at:
            u.created_at = to_int64(v).value_or(0);
            break;
        case key::user_group:
            if (v.what != scalar::kind::container) {
                u.user_group.clear(); // not an array
            }
            break;
        case key::objects:
            if (v.what != scalar::kind::container) {
                objects_ok_ = false;
            }
            break;
        default:
            break;
        }
    }

    static void meta_value(page_meta& m, key k, const scalar& v) {
        switch (k) {
        case key::limit:
            m.limit = to_int64(v).value_or(0);
            break;
        case key::offset:
            m.offset = to_int64(v).value_or(0);
            break;
        case key::next:
            assign_optional(m.next, v);
            break;
        case key::previous:
            assign_optional(m.previous, v);
            break;
        case key::total_count:
            m.total_count = to_int64(v);
            break;
        default:
            break;
        }
    }

    void batch_value(key k, const scalar& v) {
        switch (k) {
        case key::operation_result:
            results_ok_ = false;
            break;
        case key::succeed:
            batch_.succeed = to_int64(v).value_or(0);
            break;
        case key::total_count:
            batch_.total_count = to_int64(v);
            break;
        case key::offset:
            batch_.offset = to_int64(v).value_or(0);
            break;
        case key::limit:
            batch_.limit = to_int64(v).value_or(0);
            break;
        case key::next:
            assign_optional(batch_.next, v);
            break;
        default:
            break;
        }
    }

    void account_value(key k, const scalar& v) {
        switch (k) {
        case key::username:
            assign_optional(account_.username, v);
            break;
        case key::email:
            assign_optional(account_.email, v);
            break;
        case key::email_verified:
            account_.email_verified = v.what == scalar::kind::boolean && v.b;
            break;
        case key::phone:
            assign_optional(account_.phone, v);
            break;
        case key::phone_verified:
            account_.phone_verified = v.what == scalar::kind::boolean && v.b;
            break;
        default:
            break;
        }
    }

public:
    std::optional<std::string> single_problem_; // shape user: the user has no integer id
    meta_draft meta_;

private:
    std::vector<frame> frames_;
    std::string key_;  // a key arriving in parts
    std::string text_; // a string value arriving in parts
    bool in_string_ = false;
    user_draft user_;
    user_v1_draft element_v1_;
    user_v1_draft* v1_ = &root_v1_;
    entry_draft entry_;
    unsigned char stack_buffer_[4096];
    json::value_stack values_;
    json::storage_ptr arena_;                 // owns the current user's arena, until it ends
    custom_fields_arena* building_ = nullptr; // that arena, to seal it
};

} // namespace

struct reply_reader::state {
    explicit state(reply_shape shape)
        : parser(options(), shape) {}

    static json::parse_options options() {
        json::parse_options o;
        o.max_depth = 64; // as json_reply's DOM parse
        return o;
    }

    json::basic_parser<handler> parser;
    error_code syntax;

    handler& h() noexcept { return parser.handler(); }

    // The problem that wins, in the order of json_reply's DOM conversions: syntax first.
    std::optional<shape_error> first_problem() const {
        if (syntax) {
            return shape_error{"reply is not valid JSON: " + syntax.message()};
        }
        const handler& hd = parser.handler();
        if (hd.root_problem_) {
            return shape_error{*hd.root_problem_};
        }
        return std::nullopt;
    }

    std::optional<shape_error> page_problem() const {
        if (auto p = first_problem()) {
            return p;
        }
        const handler& hd = parser.handler();
        if (!hd.meta_ok_) {
            return shape_error{"list reply has no meta object"};
        }
        if (!hd.objects_ok_) {
            return shape_error{"list reply has no objects array"};
        }
        if (hd.user_problem_) {
            return shape_error{*hd.user_problem_};
        }
        return std::nullopt;
    }
};

reply_reader::reply_reader(reply_shape shape)
    : state_(std::make_unique<state>(shape)) {}

reply_reader::~reply_reader() = default;

void reply_reader::reset(reply_shape shape) {
    state_->parser.reset();
    state_->parser.handler().reset(shape);
    state_->syntax = {};
}

bool reply_reader::write(std::string_view bytes) {
    if (state_->syntax) {
        return false;
    }
    const std::size_t used =
        state_->parser.write_some(true, bytes.data(), bytes.size(), state_->syntax);
    if (!state_->syntax && used < bytes.size()) {
        state_->syntax = json::error::extra_data; // as json::parse: one value, then only space
    }
    return !state_->syntax;
}

bool reply_reader::finish() {
    if (state_->syntax) {
        return false;
    }
    state_->parser.write_some(false, nullptr, 0, state_->syntax);
    return !state_->syntax;
}

parsed<user_profile> reply_reader::take_user() {
    if (auto p = state_->first_problem()) {
        return std::move(*p);
    }
    auto& hd = state_->h();
    if (hd.single_problem_) {
        return shape_error{*hd.single_problem_};
    }
    return std::move(hd.single_);
}

parsed<user_page> reply_reader::take_user_page() {
    if (auto p = state_->page_problem()) {
        return std::move(*p);
    }
    auto& hd = state_->h();
    hd.page_.meta = std::move(hd.meta_.meta);
    return std::move(hd.page_);
}

parsed<std::int64_t> reply_reader::take_total_count() {
    if (auto p = state_->first_problem()) {
        return std::move(*p);
    }
    const auto& hd = state_->h();
    if (!hd.meta_ok_) {
        return shape_error{"list reply has no meta object"};
    }
    if (!hd.meta_.meta.total_count) {
        return shape_error{"list reply has no meta.total_count"};
    }
    return *hd.meta_.meta.total_count;
}

parsed<batch_update_result> reply_reader::take_batch_update() {
    if (auto p = state_->first_problem()) {
        return std::move(*p);
    }
    auto& hd = state_->h();
    if (!hd.results_ok_) {
        return shape_error{"batch reply has no operation_result array"};
    }
    if (hd.entry_problem_) {
        return shape_error{*hd.entry_problem_};
    }
    return std::move(hd.batch_);
}

parsed<account_info> reply_reader::take_account() {
    if (auto p = state_->first_problem()) {
        return std::move(*p);
    }
    return std::move(state_->h().account_);
}

parsed<basic_page<user_v1>> reply_reader::take_v1_page() {
    if (auto p = state_->page_problem()) {
        return std::move(*p);
    }
    auto& hd = state_->h();
    hd.page_v1_.meta = std::move(hd.meta_.meta);
    return std::move(hd.page_v1_);
}

parsed<user_v1> reply_reader::take_v1_user() {
    if (auto p = state_->first_problem()) {
        return std::move(*p);
    }
    auto& hd = state_->h();
    if (hd.objects_ok_) {
        if (hd.lookup_count_ != 1) {
            return shape_error{"v1 user lookup matched " + std::to_string(hd.lookup_count_) +
                               " users"};
        }
        return std::move(*hd.lookup_first_);
    }
    if (!hd.root_v1_.user_id) {
        return shape_error{"v1 user has no integer user_id"};
    }
    return std::move(hd.root_v1_.user);
}

namespace {

template <class T>
parsed<T> read_whole(std::string_view body, reply_shape shape, parsed<T> (reply_reader::*take)()) {
    reply_reader reader(shape);
    if (reader.write(body)) {
        reader.finish();
    }
    return (reader.*take)();
}

} // namespace

parsed<user_profile> parse_user(std::string_view body) {
    return read_whole(body, reply_shape::user, &reply_reader::take_user);
}
parsed<user_page> parse_user_page(std::string_view body) {
    return read_whole(body, reply_shape::user_page, &reply_reader::take_user_page);
}
parsed<std::int64_t> parse_total_count(std::string_view body) {
    return read_whole(body, reply_shape::total_count, &reply_reader::take_total_count);
}
parsed<batch_update_result> parse_batch_update(std::string_view body) {
    return read_whole(body, reply_shape::batch_update, &reply_reader::take_batch_update);
}
parsed<account_info> parse_account(std::string_view body) {
    return read_whole(body, reply_shape::account, &reply_reader::take_account);
}
parsed<basic_page<user_v1>> parse_v1_page(std::string_view body) {
    return read_whole(body, reply_shape::v1_page, &reply_reader::take_v1_page);
}
parsed<user_v1> parse_v1_user(std::string_view body) {
    return read_whole(body, reply_shape::v1_user, &reply_reader::take_v1_user);
}

} // namespace minapp::detail
