// SPDX-License-Identifier: MIT
#include "http_digest.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include <openssl/evp.h>

#include "mptls/error.hpp"

namespace mptls::tool {
namespace {

// One dictionary member: "key=value;params", "key;params" (value true) or "key".
struct Member {
    std::string_view key;
    std::string_view value; // from after '=' to the member's end; empty for a bare key
};

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_ows(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back()))
        s.remove_suffix(1);
    return s;
}

bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }

// RFC 8941 section 3.1.2: key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
bool is_key(std::string_view k) {
    if (k.empty() || !(is_lcalpha(k.front()) || k.front() == '*'))
        return false;
    for (const char c : k) {
        const bool ok = is_lcalpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                        c == '.' || c == '*';
        if (!ok)
            return false;
    }
    return true;
}

// Where the member starting at begin ends: the next comma outside a quoted
// string, or the end of the field. npos if a string is left open.
std::size_t member_end(std::string_view field, std::size_t begin) {
    bool in_string = false;
    for (std::size_t i = begin; i < field.size(); ++i) {
        const char c = field[i];
        if (!in_string && c == ',')
            return i;
        if (c == '"')
            in_string = !in_string;
        else if (in_string && c == '\\')
            ++i; // the escaped character cannot end the string
    }
    return in_string ? std::string_view::npos : field.size();
}

// Splits a dictionary into members, checking their keys. Values are left
// unparsed: a caller parses only the one it needs, so members we do not
// understand (other algorithms, extensions) cannot make the field fail.
std::optional<std::vector<Member>> split_dictionary(std::string_view field) {
    std::vector<Member> members;
    if (trim(field).empty())
        return members;
    for (std::size_t begin = 0; begin <= field.size();) {
        const std::size_t end = member_end(field, begin);
        if (end == std::string_view::npos)
            return std::nullopt;
        const std::string_view text = trim(field.substr(begin, end - begin));
        const std::size_t key_end = std::min(text.find_first_of("=;"), text.size());
        Member m{.key = text.substr(0, key_end), .value = {}};
        if (!is_key(m.key)) // also catches an empty member, as in "a=1,,b=2" or "a=1,"
            return std::nullopt;
        if (key_end < text.size() && text[key_end] == '=')
            m.value = text.substr(key_end + 1);
        members.push_back(m);
        begin = end + 1;
    }
    return members;
}

std::optional<std::string_view> last_value_of(std::string_view field, std::string_view key) {
    const auto members = split_dictionary(field);
    if (!members)
        return std::nullopt;
    std::optional<std::string_view> value;
    for (const Member& m : *members) {
        if (m.key == key)
            value = m.value;
    }
    return value;
}

// Parameters after a value (";name=..."): allowed, not interpreted.
bool only_parameters(std::string_view rest) { return rest.empty() || rest.front() == ';'; }

// Base64 of exactly 32 bytes. RFC 8941 section 4.2.7 asks parsers to accept
// a missing '=' padding, so it is optional here.
std::optional<Digest> decode_digest(std::string_view b64) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::size_t data_chars = std::min(b64.find_first_not_of(alphabet), b64.size());
    const std::string_view padding = b64.substr(data_chars);
    constexpr std::size_t kChars = 43; // ceil(32 * 8 / 6)
    if (data_chars != kChars || !(padding.empty() || padding == "="))
        return std::nullopt;
    std::string padded(b64.substr(0, data_chars));
    padded += '=';
    unsigned char out[33]; // EVP_DecodeBlock counts the padding as a zero byte
    if (EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(padded.data()),
                        static_cast<int>(padded.size())) != 33)
        return std::nullopt;
    Digest d{};
    std::copy_n(out, d.size(), d.begin());
    return d;
}

} // namespace

std::string base64(std::span<const unsigned char> bytes) {
    // EVP_EncodeBlock writes 4 characters per 3 bytes, then a NUL.
    std::vector<unsigned char> buf(4 * ((bytes.size() + 2) / 3) + 1);
    const int n = EVP_EncodeBlock(buf.data(), bytes.data(), static_cast<int>(bytes.size()));
    return {reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n)};
}

std::string repr_digest_sha256(const Digest& d) { return "sha-256=:" + base64(d) + ":"; }

std::optional<Digest> parse_repr_digest_sha256(std::string_view field) {
    const auto value = last_value_of(field, "sha-256");
    if (!value || value->empty() || value->front() != ':')
        return std::nullopt;
    const std::size_t close = value->find(':', 1);
    if (close == std::string_view::npos || !only_parameters(value->substr(close + 1)))
        return std::nullopt;
    return decode_digest(value->substr(1, close - 1));
}

bool wants_sha256(std::string_view field) {
    const auto value = last_value_of(field, "sha-256");
    if (!value)
        return false;
    long long weight = 0;
    const char* const end = value->data() + value->size();
    const auto [rest, ec] = std::from_chars(value->data(), end, weight);
    if (ec != std::errc() || !only_parameters({rest, end}))
        return false;
    return weight > 0;
}

void check_repr_digest(const std::string& path, const std::optional<std::string>& field,
                       const Digest& got) {
    if (!field)
        throw Error("server sent no Repr-Digest for " + path + "; --check-data needs a server that sends one");
    const auto want = parse_repr_digest_sha256(*field);
    if (!want)
        throw Error("server sent a Repr-Digest for " + path + " without a valid sha-256 member (\"" +
                    field->substr(0, 120) + "\"); --check-data needs sha-256=:<base64>:");
    if (*want != got)
        throw Error("body of " + path + " does not match the server's Repr-Digest (sha-256 got " +
                    to_hex(got) + ", want " + to_hex(*want) + ")");
}

} // namespace mptls::tool
