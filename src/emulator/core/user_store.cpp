#include "user_store.hpp"

#include "member_scanner.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif
#include <stdexcept>

namespace minapp::emulator::detail {

namespace {

std::optional<std::string> lowered_string(const boost::json::object& user, std::string_view key) {
    if (auto* v = user.if_contains(key); v != nullptr && v->is_string()) {
        return ascii_lower(v->get_string());
    }
    return std::nullopt;
}

std::int64_t int_field(const boost::json::object& user, std::string_view key) {
    if (auto* v = user.if_contains(key)) {
        if (v->is_int64()) {
            return v->get_int64();
        }
        if (v->is_uint64()) {
            return static_cast<std::int64_t>(v->get_uint64());
        }
    }
    return 0;
}

} // namespace

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

account_keys account_keys_of(const boost::json::object& user) {
    account_keys keys;
    keys.username = lowered_string(user, "_username");
    keys.email = lowered_string(user, "_email");
    if (auto* v = user.if_contains("_phone"); v != nullptr && v->is_string()) {
        keys.phone = std::string(v->get_string());
    }
    return keys;
}

user_store::user_store(schema s)
    : schema_(std::move(s)) {
    if (schema_.custom().size() > max_custom_columns) {
        throw std::invalid_argument("user_store: too many custom columns");
    }
    for (const auto& [name, type] : schema_.custom()) {
        custom_names_.push_back(name);
    }
}

std::optional<std::size_t> user_store::find(std::int64_t id) const {
    auto at = lower_bound(id);
    if (at < records_.size() && records_[at].id == id) {
        return at;
    }
    return std::nullopt;
}

std::size_t user_store::lower_bound(std::int64_t id) const {
    auto it = std::lower_bound(records_.begin(), records_.end(), id,
                               [](const user_record& r, std::int64_t v) { return r.id < v; });
    return static_cast<std::size_t>(it - records_.begin());
}

std::pair<std::string, std::uint64_t> user_store::encode(const boost::json::object& user) const {
    std::string text = boost::json::serialize(user);
    std::uint64_t unset = 0;
    text.pop_back(); // the closing brace; the nulls go before it
    bool empty = user.empty();
    for (std::size_t i = 0; i < custom_names_.size(); ++i) {
        if (user.contains(custom_names_[i])) {
            continue;
        }
        unset |= std::uint64_t{1} << i;
        if (!empty) {
            text += ',';
        }
        empty = false;
        text += '"';
        text += custom_names_[i]; // column names are identifiers: no escaping needed
        text += "\":null";
    }
    text += '}';
    return {std::move(text), unset};
}

std::size_t user_store::put(const boost::json::object& user) {
    const std::int64_t id = int_field(user, "id");
    auto [text, unset] = encode(user);
    const account_keys keys = account_keys_of(user);
    std::size_t at = lower_bound(id);
    if (at < records_.size() && records_[at].id == id) {
        unindex_account(id, account_keys_of(load_user(*this, records_[at])));
    } else {
        user_record fresh;
        fresh.id = id;
        fresh.legacy_id = next_legacy_id_++;
        records_.insert(records_.begin() + static_cast<std::ptrdiff_t>(at), std::move(fresh));
    }
    user_record& r = records_[at];
    r.created_at = int_field(user, "created_at");
    r.unset = unset;
    r.owned = std::make_unique_for_overwrite<char[]>(text.size());
    std::memcpy(r.owned.get(), text.data(), text.size());
    r.json = std::string_view(r.owned.get(), text.size());
    index_account(id, keys);
    refresh_created_order(at);
    return at;
}

void user_store::append(std::int64_t id, std::int64_t created_at, std::uint64_t unset,
                        std::string_view json, const account_keys& keys) {
    if (!records_.empty() && records_.back().id >= id) {
        throw std::invalid_argument("user_store::append: ids must increase");
    }
    if (text_left_ < json.size()) {
        // Large blocks aligned for huge pages: seeding a million users touches ~750 MB, and with
        // 4 KiB pages the page faults alone cost about as much as generating the data.
        constexpr std::size_t huge_page = std::size_t{2} << 20;
        constexpr std::size_t block_size = std::size_t{32} << 20;
        const std::size_t size =
            std::max(block_size, (json.size() + huge_page - 1) / huge_page * huge_page);
        char* block = static_cast<char*>(std::aligned_alloc(huge_page, size));
        if (block == nullptr) {
            throw std::bad_alloc();
        }
#ifdef MADV_HUGEPAGE
        ::madvise(block, size, MADV_HUGEPAGE); // advisory: failure only costs speed
#endif
        text_blocks_.emplace_back(block);
        text_free_ = block;
        text_left_ = size;
    }
    std::memcpy(text_free_, json.data(), json.size());
    user_record r;
    r.id = id;
    r.created_at = created_at;
    r.legacy_id = next_legacy_id_++;
    r.unset = unset;
    r.json = std::string_view(text_free_, json.size());
    text_free_ += json.size();
    text_left_ -= json.size();
    records_.push_back(std::move(r));
    index_account(records_.back().id, keys);
    refresh_created_order(records_.size() - 1);
}

std::int64_t user_store::next_id() const noexcept {
    // Real ids exceed 2^32; keep inserted ones in that range too.
    constexpr std::int64_t first = std::int64_t{1} << 36;
    return records_.empty() ? first : std::max(first, records_.back().id + 1);
}

void user_store::block_deleter::operator()(char* p) const noexcept {
    std::free(p);
}

void user_store::refresh_created_order(std::size_t at) {
    if (!created_follows_id_) {
        return;
    }
    if (at > 0 && records_[at - 1].created_at > records_[at].created_at) {
        created_follows_id_ = false;
    }
    if (at + 1 < records_.size() && records_[at].created_at > records_[at + 1].created_at) {
        created_follows_id_ = false;
    }
}

void user_store::index_account(std::int64_t id, const account_keys& keys) {
    if (keys.username) {
        usernames_.insert(*keys.username, id);
    }
    if (keys.email) {
        emails_.insert(*keys.email, id);
    }
    if (keys.phone) {
        phones_.insert(*keys.phone, id);
    }
}

void user_store::unindex_account(std::int64_t id, const account_keys& keys) {
    if (keys.username) {
        usernames_.erase(*keys.username, id);
    }
    if (keys.email) {
        emails_.erase(*keys.email, id);
    }
    if (keys.phone) {
        phones_.erase(*keys.phone, id);
    }
}

account_keys user_store::keys_of(std::int64_t id) const {
    auto at = find(id);
    return at ? account_keys_of(load_user(*this, records_[*at])) : account_keys{};
}

std::optional<std::int64_t> user_store::owner_of_username(std::string_view username) const {
    return usernames_.find(ascii_lower(username),
                           [this](std::int64_t id) { return keys_of(id).username; });
}

std::optional<std::int64_t> user_store::owner_of_email(std::string_view email) const {
    return emails_.find(ascii_lower(email), [this](std::int64_t id) { return keys_of(id).email; });
}

std::optional<std::int64_t> user_store::owner_of_phone(std::string_view phone) const {
    return phones_.find(phone, [this](std::int64_t id) { return keys_of(id).phone; });
}

void user_store::set_password(std::int64_t id, std::string password) {
    passwords_[id] = std::move(password);
}

const std::string* user_store::password(std::int64_t id) const {
    auto it = passwords_.find(id);
    return it == passwords_.end() ? nullptr : &it->second;
}

record_reader::record_reader(const user_store& store)
    : store_(store)
    , arena_(buffer_, sizeof buffer_)
    , current_(&arena_) {}

void record_reader::reset() {
    current_ = nullptr;
    arena_.release();
}

void record_reader::drop_unset(const user_record& r) {
    auto& user = current_.as_object();
    const auto& names = store_.custom_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if ((r.unset >> i) & 1U) {
            user.erase(names[i]);
        }
    }
}

const boost::json::object& record_reader::read(const user_record& r) {
    reset();
    parser_.reset(&arena_);
    boost::system::error_code ec;
    parser_.write(r.json, ec);
    if (ec) {
        // Records are written by this library; a failure here is a bug, not bad input.
        throw std::logic_error("record_reader: stored user text is not valid JSON");
    }
    current_ = parser_.release();
    drop_unset(r);
    return current_.as_object();
}

const boost::json::object& record_reader::read_fields(const user_record& r,
                                                      std::span<const std::string> fields) {
    reset();
    auto& user = current_.emplace_object();
    member_scanner scan(r.json);
    std::string_view key;
    std::string_view value;
    while (scan.next(key, value)) {
        if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
            continue;
        }
        parser_.reset(&arena_);
        boost::system::error_code ec;
        parser_.write(value, ec);
        if (ec) {
            throw std::logic_error("record_reader: stored user text is not valid JSON");
        }
        user.emplace(key, parser_.release());
    }
    if (scan.failed()) {
        throw std::logic_error("record_reader: stored user text is not a JSON object");
    }
    drop_unset(r);
    return user;
}

boost::json::object load_user(const user_store& store, const user_record& r) {
    boost::json::object user = boost::json::parse(r.json).as_object();
    const auto& names = store.custom_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if ((r.unset >> i) & 1U) {
            user.erase(names[i]);
        }
    }
    return user;
}

} // namespace minapp::emulator::detail
