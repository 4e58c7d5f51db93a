// The reply conversions as they were written over a Boost.JSON DOM, kept as the reference the
// SAX reply_reader must agree with (same values, same messages) in the differential tests.
#pragma once

#include "api/json_reply.hpp"

#include <string_view>

namespace minapp::test::reference {

using detail::parsed;

parsed<user_profile> parse_user(std::string_view body);
parsed<user_page> parse_user_page(std::string_view body);
parsed<std::int64_t> parse_total_count(std::string_view body);
parsed<batch_update_result> parse_batch_update(std::string_view body);
parsed<account_info> parse_account(std::string_view body);
parsed<basic_page<user_v1>> parse_v1_page(std::string_view body);
parsed<user_v1> parse_v1_user(std::string_view body);

} // namespace minapp::test::reference
