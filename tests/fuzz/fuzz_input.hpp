#pragma once
// Feeds a fuzz input to a frame decoder in pieces, as reads would deliver
// them: the first byte picks the piece size, so the fuzzer explores splits.

#include "detail/frame_decoder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cofutures_fuzz {

template <class OnFrame>
void feed(const std::uint8_t* data, std::size_t size, cofutures::detail::frame_decoder& decoder, OnFrame on_frame) {
  if (size == 0) return;
  std::size_t piece = data[0] % 64 + 1;
  ++data;
  --size;
  while (size > 0) {
    auto n = std::min(piece, size);
    auto room = decoder.prepare(n);
    std::memcpy(room.data(), data, n);
    decoder.commit(n);
    data += n;
    size -= n;
    while (auto f = decoder.next()) on_frame(*f);
  }
}

}  // namespace cofutures_fuzz
