// A shared_ptr that several threads read and replace.
#pragma once

#include <memory>
#include <mutex>
#include <utility>

namespace minapp::detail {

/// What std::atomic<std::shared_ptr<T>> promises, with a mutex held for the copy. libstdc++ 12's
/// atomic<shared_ptr>::load releases its internal lock with relaxed order, so its read of the
/// pointer is not ordered before another thread's later store: ThreadSanitizer reports it, and a
/// weakly ordered CPU may reorder it. The values held here change once per token, so the mutex
/// is uncontended in practice; the old value is released outside it.
template <class T>
class shared_slot {
public:
    std::shared_ptr<T> load() const {
        std::lock_guard lock(mutex_);
        return value_;
    }

    void store(std::shared_ptr<T> v) {
        {
            std::lock_guard lock(mutex_);
            value_.swap(v);
        }
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<T> value_;
};

} // namespace minapp::detail
