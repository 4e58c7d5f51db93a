# Warning and sanitizer flags shared by every target of this project (not exported to consumers).
add_library(minapp_project_options INTERFACE)
target_compile_options(minapp_project_options INTERFACE -Wall -Wextra -Wpedantic)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12 at -O2/-O3 reports Asio's recycling allocator for coroutine frames (aligned_new /
    # aligned_delete through thread_info_base) as a new/free mismatch once a coroutine is inlined
    # into its caller: a false positive, and the allocator is exercised under ASan in CI.
    target_compile_options(minapp_project_options INTERFACE -Wno-mismatched-new-delete)
endif()
if(MINAPP_WARNINGS_AS_ERRORS)
    target_compile_options(minapp_project_options INTERFACE -Werror)
endif()
if(MINAPP_SANITIZE)
    target_compile_options(minapp_project_options INTERFACE
        -fsanitize=${MINAPP_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(minapp_project_options INTERFACE -fsanitize=${MINAPP_SANITIZE})
    if(MINAPP_SANITIZE MATCHES "thread")
        # ThreadSanitizer does not model standalone fences (g++ says so with -Wtsan). Asio's
        # handler queues are mutex-protected; its extra fenced blocks are turned off instead.
        # Its reference counts (e.g. of a strand held in an any_io_executor, copied and dropped
        # on several threads) release with fetch_sub and acquire with a fence: without
        # std::atomic, Asio counts with Boost's acq_rel decrement, which TSan does model.
        target_compile_definitions(minapp_project_options INTERFACE
            BOOST_ASIO_DISABLE_FENCED_BLOCK BOOST_ASIO_DISABLE_STD_ATOMIC)
        target_compile_options(minapp_project_options INTERFACE -Wno-tsan)
    endif()
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        # Sanitizer instrumentation defeats g++'s flow analysis: -Wmaybe-uninitialized then fires
        # on std::optional/variant members that are always engaged (GCC documents such false
        # positives); the plain build keeps the warning as an error.
        # The same holds under ThreadSanitizer for -Warray-bounds, -Wrestrict and
        # -Wstringop-overflow/-overread on inlined std::string copies.
        target_compile_options(minapp_project_options INTERFACE -Wno-maybe-uninitialized
            -Wno-array-bounds -Wno-restrict -Wno-stringop-overflow -Wno-stringop-overread)
    endif()
endif()
