#pragma once
// An exception crossing from a worker to the parent: the worker describes
// it (kind, type name, what, stack); the parent rebuilds the same standard
// type, or a remote_error carrying the description.

#include <cofutures/detail/wire.hpp>

#include <cstdint>
#include <exception>
#include <string>

namespace cofutures::detail {

struct exception_info {
  std::uint8_t kind = 0;  // which standard type (0: not mapped back)
  std::string type_name;
  std::string what;
  std::string stack;
};

/// Describes the exception in flight (`e`); stack is the text recorded at
/// its throw point, if any.
exception_info describe_exception(std::exception_ptr e, std::string stack);
/// The exception the parent raises for `info`.
std::exception_ptr rebuild_exception(const exception_info& info);

void write_exception(frame_writer& w, const exception_info& info);
exception_info read_exception(frame_reader& r);

/// Worker side: while enabled on this thread, every throw records its
/// stack text (taken by take_throw_stack()).
void capture_throw_stacks(bool enabled) noexcept;
std::string take_throw_stack();

}  // namespace cofutures::detail
