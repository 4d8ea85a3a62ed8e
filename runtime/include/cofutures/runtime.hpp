#pragma once
/// @file runtime.hpp
/// The runtime module's umbrella header (the whole library's is
/// <cofutures/cofutures.hpp> in the cofutures::cofutures target).

#include <cofutures/any_future.hpp>
#include <cofutures/as_completed.hpp>
#include <cofutures/callback_exception_handler.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/future.hpp>
#include <cofutures/gather.hpp>
#include <cofutures/keyboard_interrupt.hpp>
#include <cofutures/progress.hpp>
#include <cofutures/progress_bar.hpp>
#include <cofutures/promise.hpp>
#include <cofutures/timeout.hpp>
#include <cofutures/use_future.hpp>
#include <cofutures/wait.hpp>
