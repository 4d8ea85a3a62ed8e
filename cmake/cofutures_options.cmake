# Compiler options shared by every target of this project (not exported).
include(GNUInstallDirs)

add_library(cofutures_warnings INTERFACE)
target_compile_options(cofutures_warnings INTERFACE -Wall -Wextra -Wpedantic)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 pairs the coroutine frame's allocation with asio's
  # awaitable_frame_base::operator delete and calls them mismatched, which
  # they are not (asio allocates the frame with its own operator new).
  target_compile_options(cofutures_warnings INTERFACE -Wno-mismatched-new-delete)
endif()

if(COFUTURES_SANITIZER STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC warns that TSan does not model Asio's atomic_thread_fence; the
    # fences sit next to mutex operations TSan does see.
    add_compile_options(-Wno-tsan)
  endif()
elseif(COFUTURES_SANITIZER STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function rejects the calls through a coroutine
    # frame's resume pointer, whose type it cannot know.
    add_compile_options(-fno-sanitize=function)
  endif()
elseif(NOT COFUTURES_SANITIZER STREQUAL "")
  message(FATAL_ERROR "COFUTURES_SANITIZER must be thread, address or empty (got '${COFUTURES_SANITIZER}')")
endif()

# Adds a cofutures module library: cofutures_<name>, alias cofutures::<name>.
function(cofutures_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(cofutures_${name} ${ARG_SOURCES})
  add_library(cofutures::${name} ALIAS cofutures_${name})
  set_target_properties(cofutures_${name} PROPERTIES EXPORT_NAME ${name} POSITION_INDEPENDENT_CODE ON)
  target_compile_features(cofutures_${name} PUBLIC cxx_std_20)
  target_include_directories(cofutures_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(cofutures_${name} PUBLIC ${ARG_DEPENDS} PRIVATE cofutures_warnings)
  set_property(GLOBAL APPEND PROPERTY COFUTURES_MODULES cofutures_${name})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()
