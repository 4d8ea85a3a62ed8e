// Must NOT compile: a process pool task whose parameter cereal cannot
// serialize. The build test misuse_non_serializable_argument expects the
// library's static_assert ("... but cereal cannot serialize it ...").

#include <cofutures/process_pool_executor.hpp>

struct opaque {  // no serialize(), save() or load()
  int value = 0;
};

int unwrap(opaque o) { return o.value; }

int main(int argc, char** argv) {
  cofutures::process_worker_main(argc, argv);
  cofutures::process_pool_executor pool(1);
  return pool.submit<&unwrap>(opaque{42}).result();
}
