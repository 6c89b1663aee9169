// SPDX-License-Identifier: MIT
#include "mptls/error.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <exception>
#include <filesystem>
#include <new>
#include <system_error>
#include <typeinfo>
#include <openssl/err.h>

namespace mptls {

std::string drain_openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(e);
        if (!out.empty())
            out += "; ";
        if (reason != nullptr) {
            out += reason;
        } else {
            char buf[256];
            ERR_error_string_n(e, buf, sizeof buf);
            out += buf;
        }
    }
    return out;
}

Error Error::from_errno(std::string_view what, int err) {
    return Error(std::string(what) + ": " + std::strerror(err), err);
}

Error Error::from_openssl(std::string_view what) {
    unsigned long first = ERR_peek_error();
    std::string reasons = drain_openssl_errors();
    std::string msg(what);
    if (!reasons.empty())
        msg += ": " + reasons;
    return Error(msg, 0, first);
}

namespace {

// "std::out_of_range" rather than "St12out_of_range".
std::string type_name(const std::type_info& t) {
    int status = 0;
    char* name = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
    std::string out = status == 0 && name != nullptr ? name : t.name();
    std::free(name);
    return out;
}

} // namespace

Error current_exception_as_error() noexcept {
    try {
        const std::exception_ptr current = std::current_exception();
        if (!current)
            return Error("internal error (no exception in flight); please report it as an mptls bug");
        try {
            std::rethrow_exception(current);
        } catch (const Error& e) {
            return e;
        } catch (const std::bad_alloc&) {
            return Error("out of memory; free some memory or ask for smaller sizes", ENOMEM);
        } catch (const std::filesystem::filesystem_error& e) {
            std::string msg = e.code().message();
            if (!e.path2().empty())
                msg = e.path2().string() + ": " + msg;
            if (!e.path1().empty())
                msg = e.path1().string() + (e.path2().empty() ? ": " : " and ") + msg;
            const int err = e.code().category() == std::generic_category() ||
                                    e.code().category() == std::system_category()
                                ? e.code().value()
                                : 0;
            return Error("file system error" + std::string(e.path1().empty() ? ": " : " on ") + msg +
                             "; check the path and its permissions",
                         err);
        } catch (const std::system_error& e) {
            const int err = e.code().category() == std::generic_category() ||
                                    e.code().category() == std::system_category()
                                ? e.code().value()
                                : 0;
            return Error("a system call failed: " + e.code().message() +
                             "; check the system's limits (ulimit -n, memory, threads)",
                         err);
        } catch (const std::exception& e) {
            return Error(std::string("internal error (unexpected ") + type_name(typeid(e)) +
                         "); please report it as an mptls bug, with the command line that caused it");
        } catch (...) {
            return Error("internal error (an unknown exception); please report it as an mptls bug, "
                         "with the command line that caused it");
        }
    } catch (...) {
        // Building the message itself failed (out of memory).
        return Error("out of memory", ENOMEM);
    }
}

} // namespace mptls
