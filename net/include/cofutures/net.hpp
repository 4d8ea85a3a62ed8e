#pragma once
/// @file net.hpp
/// The net module's umbrella header.

#include <cofutures/fetch.hpp>
#include <cofutures/http_client.hpp>
#include <cofutures/http_error.hpp>
#include <cofutures/http_request.hpp>
