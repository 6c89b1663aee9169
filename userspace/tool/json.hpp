// SPDX-License-Identifier: MIT
// Minimal streaming JSON writer (objects, arrays, strings, numbers, bools).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mptls::tool {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view k);
    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(double d);
    JsonWriter& value(std::uint64_t n);
    JsonWriter& value(bool b);
    JsonWriter& null();

    const std::string& str() const noexcept { return out_; }

private:
    void before_value();
    std::string out_;
    std::vector<bool> first_; // per open container: no element written yet
    bool after_key_ = false;
};

std::string json_escape(std::string_view s);

} // namespace mptls::tool
