// Boost.JSON compiled from its headers, for the ThreadSanitizer build only (see
// cmake/minapp_boost_json.cmake): Debian's libboost_json.so is not instrumented, so TSan could not
// see the reference counts of shared memory resources (a parsed user's custom-field arena is
// released inside `~object`, on whichever thread drops the last value).
#include <boost/json/src.hpp>
