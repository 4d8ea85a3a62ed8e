#pragma once
// small_function<R(A...)>: a move-only std::function that keeps callables
// of up to 32 bytes (or InlineSize) in place, so a done-callback capturing
// a few references (or a std::function) costs no allocation of its own.

#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace cofutures::detail {

template <class Signature, std::size_t InlineSize = 32>
class small_function;

template <class R, class... A, std::size_t InlineSize>
class small_function<R(A...), InlineSize> {
 public:
  static constexpr std::size_t inline_size = InlineSize;
  /// Pointer alignment, not max_align_t's 16: lambdas capturing references,
  /// pointers and smart pointers fit, and every future's state (which holds
  /// one callback) is not padded for the rare over-aligned callable, which
  /// goes to the heap instead.
  static constexpr std::size_t storage_alignment = alignof(void*);

  small_function() noexcept = default;
  small_function(std::nullptr_t) noexcept {}

  template <class F>
    requires(!std::is_same_v<std::decay_t<F>, small_function> && std::is_invocable_r_v<R, std::decay_t<F>&, A...>)
  small_function(F&& fn) {  // NOLINT(google-explicit-constructor): converts like std::function
    using D = std::decay_t<F>;
    if constexpr (std::is_pointer_v<D> || std::is_member_pointer_v<D> || requires { fn == nullptr; }) {
      if (fn == nullptr) return;  // an empty std::function or null pointer stays empty
    }
    if constexpr (stores_in_place<D>) {
      ::new (static_cast<void*>(m_storage)) D(std::forward<F>(fn));
      m_ops = &inline_ops<D>;
    } else {
      *reinterpret_cast<D**>(m_storage) = new D(std::forward<F>(fn));
      m_ops = &heap_ops<D>;
    }
  }

  small_function(small_function&& other) noexcept : m_ops(std::exchange(other.m_ops, nullptr)) {
    if (m_ops) m_ops->move(m_storage, other.m_storage);
  }
  small_function& operator=(small_function&& other) noexcept {
    if (this != &other) {
      reset();
      m_ops = std::exchange(other.m_ops, nullptr);
      if (m_ops) m_ops->move(m_storage, other.m_storage);
    }
    return *this;
  }
  small_function& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }
  ~small_function() { reset(); }

  explicit operator bool() const noexcept { return m_ops != nullptr; }

  /// Whether a callable of type D is kept in place (no allocation).
  template <class D>
  static constexpr bool stores_in_place = sizeof(D) <= inline_size && alignof(D) <= storage_alignment &&
                                          std::is_nothrow_move_constructible_v<D>;

  R operator()(A... args) {
    if (!m_ops) throw std::bad_function_call();
    return m_ops->call(m_storage, std::forward<A>(args)...);
  }

 private:
  struct ops {
    R (*call)(void*, A&&...);
    void (*move)(void* to, void* from) noexcept;  // leaves `from` destroyed
    void (*destroy)(void*) noexcept;
  };

  template <class D>
  static constexpr ops inline_ops{
      [](void* p, A&&... args) -> R { return std::invoke(*static_cast<D*>(p), std::forward<A>(args)...); },
      [](void* to, void* from) noexcept {
        ::new (to) D(std::move(*static_cast<D*>(from)));
        static_cast<D*>(from)->~D();
      },
      [](void* p) noexcept { static_cast<D*>(p)->~D(); },
  };

  template <class D>
  static constexpr ops heap_ops{
      [](void* p, A&&... args) -> R { return std::invoke(**static_cast<D**>(p), std::forward<A>(args)...); },
      [](void* to, void* from) noexcept { *static_cast<D**>(to) = *static_cast<D**>(from); },
      [](void* p) noexcept { delete *static_cast<D**>(p); },
  };

  void reset() noexcept {
    if (auto* o = std::exchange(m_ops, nullptr)) o->destroy(m_storage);
  }

  alignas(storage_alignment) unsigned char m_storage[inline_size];
  const ops* m_ops = nullptr;
};

}  // namespace cofutures::detail
