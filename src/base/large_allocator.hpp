// LargeAllocator: std::allocator, except that it leaves new elements
// uninitialised (see construct) and that an allocation of 2 MiB or more
// is aligned to 2 MiB and asks Linux for transparent huge pages (madvise:
// with the kernel's default "madvise" mode nothing else gets them). A large
// array read at random — a big hash table's slots, a static table's columns —
// then costs a page fault and a TLB entry per 2 MiB instead of per 4 KiB; the
// page faults of a 1 M-row table's load were a quarter of its time.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace runnel {

template <class T>
struct LargeAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;

  LargeAllocator() = default;
  template <class U>
  LargeAllocator(const LargeAllocator<U>&) {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return std::allocator<T>{}.allocate(n);
    const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    ::madvise(p, rounded, MADV_HUGEPAGE);  // only advice: without huge pages it is plain memory
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kHugePage) std::allocator<T>{}.deallocate(p, n);
    else std::free(p);
  }
  // Growing leaves the new elements uninitialised (default-initialised, not
  // zeroed): the owner writes an element before it reads it, and zeroing
  // what is overwritten anyway cost a column's load a pass over its memory.
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) ::new (static_cast<void*>(p)) U;
    else ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const LargeAllocator<U>&) const { return true; }
};

// A vector whose buffer, once large, sits on huge pages, and whose resize
// leaves new elements of a trivial type uninitialised.
template <class T>
using LargeVector = std::vector<T, LargeAllocator<T>>;

}  // namespace runnel
