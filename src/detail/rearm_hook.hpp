// Keeping a call's cancellation handler on its caller's cancellation slot.
#pragma once

namespace minapp::detail {

/// Called before each wait of an operation that runs in the caller's coroutine: Asio clears
/// the coroutine's cancellation slot whenever an operation it awaited completes, so the call's
/// handler (which ends the wait in a thread-safe way) is put back before the next one.
struct rearm_hook {
    void (*fn)(void*) = nullptr;
    void* context = nullptr;
    void operator()() const {
        if (fn != nullptr) {
            fn(context);
        }
    }
};

} // namespace minapp::detail
