#pragma once
// Arguments and results cross the process boundary as cereal binary
// archives. Any type cereal can serialize works (the std types below are
// pre-included); anything else fails to compile with a static_assert.

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <istream>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cofutures::detail {

/// The source a deserialize_into on this thread reads, or nullptr outside
/// one (see the SizeTag epilogue below).
inline thread_local const std::streambuf* t_decoding = nullptr;

class bytes_source;
std::ptrdiff_t bytes_left(const bytes_source& source) noexcept;

}  // namespace cofutures::detail

namespace cereal {

/// Runs after a container's element count is read and before the container
/// is sized for it: a count larger than the bytes left cannot be genuine
/// (every element takes at least a byte, empty classes aside), and must not
/// make a worker or the parent allocate what a corrupt frame says.
template <class T>
void epilogue(BinaryInputArchive&, const SizeTag<T>& tag);

}  // namespace cereal

namespace cofutures::detail {

template <class T>
inline constexpr bool is_serializable_v =
    cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value &&
    cereal::traits::is_input_serializable<T, cereal::BinaryInputArchive>::value;

template <class T>
constexpr void check_serializable() {
  static_assert(is_serializable_v<T>,
                "cofutures: this type crosses the process boundary but cereal cannot serialize it; give it a "
                "serialize(Archive&) function (or save/load), or include the cereal/types header for it");
}

// Appends to a std::string without the copies of std::ostringstream.
class string_sink final : public std::streambuf {
 public:
  explicit string_sink(std::string* out = nullptr) : m_out(out) {}
  void target(std::string* out) noexcept { m_out = out; }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    m_out->append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) m_out->push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string* m_out;
};

// Reads a byte range in place.
class bytes_source final : public std::streambuf {
 public:
  explicit bytes_source(std::string_view bytes = {}) { target(bytes); }
  void target(std::string_view bytes) noexcept {
    auto* p = const_cast<char*>(bytes.data());  // read-only use: get area only
    setg(p, p, p + bytes.size());
  }
  std::ptrdiff_t left() const noexcept { return egptr() - gptr(); }
};

inline std::ptrdiff_t bytes_left(const bytes_source& source) noexcept { return source.left(); }

// cereal's archives need a std::ostream / std::istream, and making one
// (a locale copy, three use_facet dynamic_casts) costs more than encoding
// a small value: about 100 ns of the 100 ns a serialize(int) took. Each
// thread keeps one of each, aimed at the bytes of the call. `busy` while a
// call uses it: a nested call (a type's save or load serializing on its
// own) makes its own.
template <class Buffer, class Stream>
struct cached_stream {
  Buffer buffer;
  Stream stream{&buffer};
  bool busy = false;
};

inline cached_stream<string_sink, std::ostream>& thread_encoder() {
  thread_local cached_stream<string_sink, std::ostream> encoder;
  return encoder;
}

inline cached_stream<bytes_source, std::istream>& thread_decoder() {
  thread_local cached_stream<bytes_source, std::istream> decoder;
  return decoder;
}

// Marks a cached stream in use until the scope ends, then lets go of the
// caller's bytes.
template <class Cached>
struct cached_stream_use {
  Cached& cached;
  ~cached_stream_use() {
    cached.busy = false;
    cached.buffer.target({});
  }
};

template <class... T>
void encode_with(std::ostream& os, const T&... values) {
  cereal::BinaryOutputArchive archive(os);
  archive(values...);
}

/// Appends the cereal encoding of values to out.
template <class... T>
void serialize_into(std::string& out, const T&... values) {
  if constexpr (sizeof...(T) > 0) {  // a task without arguments sends nothing
    auto& cached = thread_encoder();
    if (cached.busy) {
      string_sink sink(&out);
      std::ostream os(&sink);
      return encode_with(os, values...);
    }
    cached.busy = true;
    cached_stream_use<cached_stream<string_sink, std::ostream>> use{cached};
    cached.buffer.target(&out);
    cached.stream.clear();
    encode_with(cached.stream, values...);
  }
}

template <class... T>
std::string serialize(const T&... values) {
  std::string out;
  serialize_into(out, values...);
  return out;
}

/// Decodes values written by serialize. @throws cereal::Exception when the
/// bytes run out.
template <class... T>
void decode_with(bytes_source& source, std::istream& is, T&... values) {
  // Nested decodes (a type's load calling deserialize) restore the outer one.
  struct scope {
    const std::streambuf* previous;
    ~scope() { t_decoding = previous; }
  } restore{std::exchange(t_decoding, &source)};
  cereal::BinaryInputArchive archive(is);
  archive(values...);
}

template <class... T>
void deserialize_into(std::string_view bytes, T&... values) {
  if constexpr (sizeof...(T) > 0) {
    auto& cached = thread_decoder();
    if (cached.busy) {
      bytes_source source(bytes);
      std::istream is(&source);
      return decode_with(source, is, values...);
    }
    cached.busy = true;
    cached_stream_use<cached_stream<bytes_source, std::istream>> use{cached};
    cached.buffer.target(bytes);
    cached.stream.clear();
    decode_with(cached.buffer, cached.stream, values...);
  }
}

template <class T>
T deserialize(std::string_view bytes) {
  T value{};
  deserialize_into(bytes, value);
  return value;
}

}  // namespace cofutures::detail

template <class T>
void cereal::epilogue(BinaryInputArchive&, const SizeTag<T>& tag) {
  auto* source = static_cast<const cofutures::detail::bytes_source*>(cofutures::detail::t_decoding);
  if (source == nullptr) return;  // a cereal archive of the program's own, not ours
  auto left = cofutures::detail::bytes_left(*source);
  if (static_cast<unsigned long long>(tag.size) > static_cast<unsigned long long>(left)) {
    throw Exception("corrupt data: a container of " + std::to_string(tag.size) + " elements in " +
                    std::to_string(left) + " remaining bytes");
  }
}
