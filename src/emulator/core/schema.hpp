// Column types of the _userprofile table as the emulator models them (notes §2.1, §2.3, §4.3).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace minapp::emulator::detail {

/// A column type (notes §2.3).
enum class field_type { string, integer, number, boolean, array, object, geojson, file, date, pointer };

/// The name of a type as the docs spell it ("string", "integer", ...).
std::string_view to_string(field_type t) noexcept;

/// The columns of one environment's _userprofile table: built-in fields plus custom fields.
class schema {
public:
    /// Built-in columns only (id, created_at, nickname, ... with their types; _group as array).
    schema();

    /// Adds or replaces a custom column. Built-in names are refused (returns false).
    bool add_custom(std::string name, field_type type);

    /// The type of any column, built-in or custom; nullopt for an unknown name.
    std::optional<field_type> type_of(std::string_view name) const;

    /// Whether `name` is a built-in column (or starts with '_'): not writable through U6/U7.
    static bool is_builtin(std::string_view name) noexcept;

    /// The custom columns, by name.
    const std::map<std::string, field_type, std::less<>>& custom() const noexcept { return custom_; }

    /// The schema the seeded data uses: built-ins plus a custom column of every type
    /// (score: integer, balance: number, vip: boolean, tags: array, profile: object,
    /// location: geojson, birthday: date, test: string, avatar_file: file, referrer: pointer).
    static schema seeded();

private:
    std::map<std::string, field_type, std::less<>> builtin_;
    std::map<std::string, field_type, std::less<>> custom_;
};

} // namespace minapp::emulator::detail
