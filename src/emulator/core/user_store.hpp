// The users of one environment: compact records kept in id order, each holding its response JSON
// text so that serving a page is a copy, plus the indices the account endpoint needs.
#pragma once

#include "account_index.hpp"
#include "schema.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace minapp::emulator::detail {

/// One stored user.
///
/// The record keeps the user's *response* text (unset custom columns written as `null`) rather
/// than a JSON DOM: a DOM costs several times the memory, and the text is what every read
/// endpoint sends. `unset` remembers which of those nulls stand for an absent key, so the stored
/// form can be rebuilt exactly for `where` evaluation and updates.
struct user_record {
    std::int64_t id = 0;
    std::int64_t created_at = 0;
    std::int64_t legacy_id = 0; ///< The v1 profile id (v1 `id`; distinct from the user id).
    std::uint64_t unset = 0;    ///< Bit i: custom column i (schema order) is absent.
    /// Response form: stored keys, with `"col":null` for each unset bit. Seeded users point into
    /// the store's shared text blocks (no allocation per user); users written later point into
    /// `owned`, so rewriting a user frees its previous text.
    std::string_view json;
    std::unique_ptr<char[]> owned;
};

/// The account fields a user can be found by; all lower-cased except the phone.
struct account_keys {
    std::optional<std::string> username;
    std::optional<std::string> email;
    std::optional<std::string> phone;
};

/// The users of one environment, ordered by id.
///
/// Not synchronised: the owner (user_api) holds the lock.
class user_store {
public:
    /// At most this many custom columns fit the `unset` bit set.
    static constexpr std::size_t max_custom_columns = 64;

    explicit user_store(schema s);

    const schema& columns() const noexcept { return schema_; }
    /// The custom column names in the order `user_record::unset` numbers them.
    const std::vector<std::string>& custom_names() const noexcept { return custom_names_; }

    std::span<const user_record> records() const noexcept { return records_; }
    std::size_t size() const noexcept { return records_.size(); }

    /// The index of the user with this id in `records()`.
    std::optional<std::size_t> find(std::int64_t id) const;

    /// The first index whose id is >= `id` (records().size() when none).
    std::size_t lower_bound(std::int64_t id) const;

    /// True while `created_at` never decreases along id order, so that ordering by
    /// (created_at, id) equals ordering by id and queries can stop early.
    bool created_at_follows_id() const noexcept { return created_follows_id_; }

    /// Stores `user` (a stored-form object with an integer `id`), replacing any user with that
    /// id and keeping every index in step. Returns the record's index.
    std::size_t put(const boost::json::object& user);

    /// Appends a pre-encoded user (response-form `json` with its `unset` bits) whose id exceeds
    /// every stored id: the seeder's fast path, with no JSON DOM and no allocation per user.
    void append(std::int64_t id, std::int64_t created_at, std::uint64_t unset,
                std::string_view json, const account_keys& keys);

    /// Reserves room for `n` users (the seeder knows its count up front).
    void reserve(std::size_t n) { records_.reserve(n); }

    /// The id an inserted user gets when it brings none.
    std::int64_t next_id() const noexcept;

    /// The user currently holding an account key (username/email compared lower-cased).
    std::optional<std::int64_t> owner_of_username(std::string_view username) const;
    std::optional<std::int64_t> owner_of_email(std::string_view email) const;
    std::optional<std::int64_t> owner_of_phone(std::string_view phone) const;

    /// Password set for a user through the account endpoint.
    void set_password(std::int64_t id, std::string password);
    const std::string* password(std::int64_t id) const;

    /// The response text for a stored-form object (unset custom columns appended as null) and
    /// the matching `unset` bits.
    std::pair<std::string, std::uint64_t> encode(const boost::json::object& user) const;

private:
    void index_account(std::int64_t id, const account_keys& keys);
    void unindex_account(std::int64_t id, const account_keys& keys);
    void refresh_created_order(std::size_t at);

    schema schema_;
    std::vector<std::string> custom_names_;
    std::vector<user_record> records_;
    struct block_deleter {
        void operator()(char* p) const noexcept;
    };
    /// Seeded users' texts, packed into large blocks.
    std::vector<std::unique_ptr<char, block_deleter>> text_blocks_;
    char* text_free_ = nullptr;
    std::size_t text_left_ = 0;
    account_keys keys_of(std::int64_t id) const;

    account_index usernames_;
    account_index emails_;
    account_index phones_;
    std::unordered_map<std::int64_t, std::string> passwords_;
    std::int64_t next_legacy_id_ = 55000;
    bool created_follows_id_ = true;
};

/// The account keys of a stored-form user object (username and email lower-cased).
account_keys account_keys_of(const boost::json::object& user);

/// ASCII lower-casing; other bytes (e.g. UTF-8 of Chinese text) are kept.
std::string ascii_lower(std::string_view s);

/// Reads records back into stored-form objects. Reuses one parser and arena across calls, so a
/// scan over many records allocates almost nothing; each `read` invalidates the previous result.
class record_reader {
public:
    explicit record_reader(const user_store& store);
    record_reader(const record_reader&) = delete;
    record_reader& operator=(const record_reader&) = delete;

    /// The stored form of `r` (absent custom columns removed), valid until the next call.
    const boost::json::object& read(const user_record& r);

    /// Only the listed top-level fields of `r`'s stored form, valid until the next call: all a
    /// `where` filter or a sort naming just those fields can see, at a fraction of the cost of
    /// parsing the whole record.
    const boost::json::object& read_fields(const user_record& r,
                                           std::span<const std::string> fields);

private:
    void reset();
    void drop_unset(const user_record& r);

    const user_store& store_;
    unsigned char buffer_[16384];
    boost::json::monotonic_resource arena_;
    boost::json::parser parser_;
    boost::json::value current_;
};

/// The stored form of `r` as an independent object (default memory resource).
boost::json::object load_user(const user_store& store, const user_record& r);

} // namespace minapp::emulator::detail
