#pragma once
// Private to the event module: conversion between the public Value handle and simdjson's
// dom::element, which is a (document*, tape index) pair.

#include <simdjson.h>

#include <bit>
#include <type_traits>

#include "firebreak/event/event.h"

namespace firebreak::event::detail {

static_assert(sizeof(simdjson::dom::element) == sizeof(Value::Handle));
static_assert(std::is_trivially_copyable_v<simdjson::dom::element>);

inline simdjson::dom::element to_dom(Value v) noexcept {
  return std::bit_cast<simdjson::dom::element>(v.handle());
}
inline Value from_dom(simdjson::dom::element e) noexcept {
  return Value(std::bit_cast<Value::Handle>(e));
}

}  // namespace firebreak::event::detail
