// ISO-8601 timestamps of `date` columns (notes §1.5), reduced to comparable instants.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace minapp::emulator::detail {

/// Parses `YYYY-MM-DD[(T|t| )hh:mm[:ss[.fraction]]][Z|z|±hh[:mm]|±hhmm]` into microseconds
/// since the Unix epoch (UTC). The offset is applied, so `12:00+08:00` equals `04:00Z`. A
/// missing time means midnight and a missing offset means UTC; fraction digits beyond
/// microseconds are dropped. Returns nullopt for anything else, including impossible dates.
std::optional<std::int64_t> parse_iso8601_micros(std::string_view text) noexcept;

} // namespace minapp::emulator::detail
