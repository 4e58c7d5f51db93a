# Warning and sanitizer flags shared by every target of this project (not exported to consumers).
add_library(minapp_project_options INTERFACE)
target_compile_options(minapp_project_options INTERFACE -Wall -Wextra -Wpedantic)
if(MINAPP_WARNINGS_AS_ERRORS)
    target_compile_options(minapp_project_options INTERFACE -Werror)
endif()
if(MINAPP_SANITIZE)
    target_compile_options(minapp_project_options INTERFACE
        -fsanitize=${MINAPP_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(minapp_project_options INTERFACE -fsanitize=${MINAPP_SANITIZE})
endif()
