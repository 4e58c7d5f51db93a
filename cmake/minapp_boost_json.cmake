# Boost.JSON for the project's targets: Debian's shared library, except under ThreadSanitizer,
# where it is compiled from its headers with the sanitizer (src/boost_json_src.cpp) so that its
# reference counts are instrumented like the rest. Only the build tree differs: an installed
# package always depends on Boost::json.
if(MINAPP_SANITIZE MATCHES "thread")
    add_library(minapp_boost_json STATIC ${PROJECT_SOURCE_DIR}/src/boost_json_src.cpp)
    target_link_libraries(minapp_boost_json PUBLIC Boost::headers)
    target_compile_options(minapp_boost_json PRIVATE
        -fsanitize=${MINAPP_SANITIZE} -fno-omit-frame-pointer -Wno-tsan)
    set_target_properties(minapp_boost_json PROPERTIES POSITION_INDEPENDENT_CODE ON)
    set(MINAPP_BOOST_JSON $<BUILD_INTERFACE:minapp_boost_json> $<INSTALL_INTERFACE:Boost::json>)
else()
    set(MINAPP_BOOST_JSON Boost::json)
endif()
