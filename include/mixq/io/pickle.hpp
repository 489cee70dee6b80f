// Restricted unpickler for what torch.save writes: plain values, dicts, lists, tuples, an allow-list of globals.
#pragma once

#include <cstdint>
#include <fmt/format.h>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"

namespace mixq::io::pickle {

// Values live in an arena and refer to each other by index: pickle's memo lets one object appear in many
// places (and even inside itself), which owning pointers would turn into cycles and deep destructor
// recursion. Nothing is ever called: a "global" is only its dotted name, and REDUCE / BUILD are handed to
// the caller's hooks, which either build a known value or refuse.
enum class kind : std::uint8_t { none, boolean, integer, real, string, bytes, tuple, list, dict, global, persistent, object, mark };

struct value {
    kind k = kind::none;
    std::int64_t i = 0;       // boolean, integer; object: the caller's handle
    double f = 0.0;           // real
    std::string s;            // string, bytes, global ("module.name")
    std::vector<std::uint32_t> items;  // tuple / list elements; dict keys and values interleaved; persistent: its id
};

[[nodiscard]] inline value make_value(kind k, std::int64_t i = 0, double f = 0.0, std::string s = {}) {
    value v;
    v.k = k;
    v.i = i;
    v.f = f;
    v.s = std::move(s);
    return v;
}

// What the caller decides: the allowed globals, what calling one of them makes, what BUILD does.
struct hooks {
    // Called at GLOBAL: throws (with the name) when the global is not allowed.
    std::function<void(const std::string& dotted)> allow_global;
    // Called at REDUCE with the callable's dotted name and the argument tuple's index; returns the result.
    std::function<std::uint32_t(const std::string& callable, std::uint32_t args)> reduce;
    // Called at BUILD with the object and the state; may refuse.
    std::function<void(std::uint32_t object, std::uint32_t state)> build;
};

// Refuses inputs that would make the arena grow without bound relative to the input.
inline constexpr std::size_t max_values = 1u << 24;

class unpickler {
public:
    unpickler(std::span<const std::byte> bytes, std::string name) : in_(bytes), name_(std::move(name)) {}
    unpickler(const unpickler&) = delete;  // the hooks usually hold its address
    unpickler& operator=(const unpickler&) = delete;
    void set_hooks(hooks h) { h_ = std::move(h); }

    [[nodiscard]] std::vector<value>& arena() noexcept { return arena_; }
    [[nodiscard]] const value& at(std::uint32_t i) const { return arena_.at(i); }
    [[nodiscard]] std::uint32_t make(value v) {
        if (arena_.size() >= max_values) bad("more than " + std::to_string(max_values) + " values");
        arena_.push_back(std::move(v));
        return static_cast<std::uint32_t>(arena_.size() - 1);
    }
    [[noreturn]] void bad(const std::string& what) const {
        fail(name_ + ": " + what + " (at byte " + std::to_string(pos_) + " of the pickle)");
    }

    // Runs the pickle to its STOP and returns the index of the result.
    [[nodiscard]] std::uint32_t load() {
        for (;;) {
            const auto op = u8();
            switch (op) {
                case 0x80: {  // PROTO
                    const auto p = u8();
                    if (p < 2 || p > 5) bad("pickle protocol " + std::to_string(p) + " is not one torch.save writes");
                    break;
                }
                case 0x95: (void)take(8); break;  // FRAME: a length hint only
                case '.': {  // STOP
                    if (stack_.size() != 1 || marks_.size() != 0) bad("STOP with " + std::to_string(stack_.size()) + " values on the stack");
                    return stack_.back();
                }
                case '(': marks_.push_back(stack_.size()); break;  // MARK
                case 'N': push(value{}); break;
                case 0x88: push(make_value(kind::boolean, 1)); break;
                case 0x89: push(make_value(kind::boolean, 0)); break;
                case 'J': push(make_value(kind::integer, static_cast<std::int32_t>(le(4)))); break;
                case 'K': push(make_value(kind::integer, static_cast<std::int64_t>(le(1)))); break;
                case 'M': push(make_value(kind::integer, static_cast<std::int64_t>(le(2)))); break;
                case 0x8a: {  // LONG1: little-endian two's complement, n bytes
                    const auto n = u8();
                    if (n > 8) bad("integer of " + std::to_string(n) + " bytes is too large");
                    const auto b = take(n);
                    std::uint64_t v = 0;
                    for (std::size_t j = 0; j < n; ++j) v |= std::to_integer<std::uint64_t>(b[j]) << (8 * j);
                    if (n > 0 && n < 8 && (std::to_integer<unsigned>(b[n - 1]) & 0x80)) v |= ~std::uint64_t{0} << (8 * n);
                    push(make_value(kind::integer, static_cast<std::int64_t>(v)));
                    break;
                }
                case 'G': {  // BINFLOAT: big-endian double
                    const auto b = take(8);
                    std::uint64_t v = 0;
                    for (std::size_t j = 0; j < 8; ++j) v = (v << 8) | std::to_integer<std::uint64_t>(b[j]);
                    auto x = make_value(kind::real);
                    std::memcpy(&x.f, &v, 8);
                    push(std::move(x));
                    break;
                }
                case 'X': push_text(kind::string, le(4)); break;        // BINUNICODE
                case 0x8c: push_text(kind::string, le(1)); break;       // SHORT_BINUNICODE
                case 0x8d: push_text(kind::string, le(8)); break;       // BINUNICODE8
                case 'T': push_text(kind::string, le(4)); break;        // BINSTRING (protocol 2 str keys from Python 2)
                case 'U': push_text(kind::string, le(1)); break;        // SHORT_BINSTRING
                case 'B': push_text(kind::bytes, le(4)); break;         // BINBYTES
                case 'C': push_text(kind::bytes, le(1)); break;         // SHORT_BINBYTES
                case ')': push(make_value(kind::tuple)); break;
                case ']': push(make_value(kind::list)); break;
                case '}': push(make_value(kind::dict)); break;
                case 't': {  // TUPLE: from the mark
                    auto t = make_value(kind::tuple);
                    t.items = pop_mark();
                    push(std::move(t));
                    break;
                }
                case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
                    const std::size_t n = op - 0x84u;
                    if (stack_.size() < floor() + n) bad("TUPLE" + std::to_string(n) + " on a stack too short");
                    auto t = make_value(kind::tuple);
                    t.items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
                    stack_.resize(stack_.size() - n);
                    push(std::move(t));
                    break;
                }
                case 'a': {  // APPEND
                    const auto v = pop();
                    append(top(), {v});
                    break;
                }
                case 'e': {  // APPENDS
                    auto vs = pop_mark();
                    append(top(), vs);
                    break;
                }
                case 's': {  // SETITEM
                    const auto v = pop();
                    const auto k = pop();
                    set_items(top(), {k, v});
                    break;
                }
                case 'u': {  // SETITEMS
                    auto kv = pop_mark();
                    if (kv.size() % 2) bad("SETITEMS with an odd number of values");
                    set_items(top(), kv);
                    break;
                }
                case 'q': memo_put(le(1)); break;   // BINPUT
                case 'r': memo_put(le(4)); break;   // LONG_BINPUT
                case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
                case 'h': memo_get(le(1)); break;   // BINGET
                case 'j': memo_get(le(4)); break;   // LONG_BINGET
                case 'c': {  // GLOBAL: "module\nname\n"
                    auto module = line();
                    auto nm = line();
                    push_global(module + "." + nm);
                    break;
                }
                case 0x93: {  // STACK_GLOBAL
                    const auto nm = pop(), module = pop();
                    if (arena_[nm].k != kind::string || arena_[module].k != kind::string) bad("STACK_GLOBAL of non-strings");
                    push_global(arena_[module].s + "." + arena_[nm].s);
                    break;
                }
                case 'Q': {  // BINPERSID
                    auto p = make_value(kind::persistent);
                    p.items = {pop()};
                    push(std::move(p));
                    break;
                }
                case 'R': {  // REDUCE: callable(*args), decided by the caller
                    const auto args = pop();
                    const auto fn = pop();
                    if (arena_[fn].k != kind::global) bad("REDUCE of something that is not a global");
                    if (arena_[args].k != kind::tuple) bad("REDUCE with arguments that are not a tuple");
                    const auto name = arena_[fn].s;
                    if (!h_.reduce) bad("refusing to call '" + name + "': nothing may be called");
                    stack_.push_back(h_.reduce(name, args));
                    break;
                }
                case 'b': {  // BUILD: state applied to the object below it
                    const auto state = pop();
                    if (!h_.build) bad("BUILD (setting an object's state) is not allowed");
                    h_.build(top(), state);
                    break;
                }
                case '0': (void)pop(); break;  // POP
                case '1': (void)pop_mark(); break;  // POP_MARK
                default: {
                    --pos_;
                    bad(fmt::format("pickle opcode 0x{:02x} is not one torch.save writes for tensors; mixq loads tensors only",
                                    static_cast<unsigned>(op)));
                }
            }
        }
    }

private:
    std::uint8_t u8() {
        if (pos_ >= in_.size()) bad("the pickle ends without STOP");
        return std::to_integer<std::uint8_t>(in_[pos_++]);
    }
    std::span<const std::byte> take(std::uint64_t n) {
        if (n > in_.size() - pos_) bad("a value of " + std::to_string(n) + " bytes runs past the end of the pickle");
        const auto s = in_.subspan(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }
    std::uint64_t le(std::size_t n) {
        const auto b = take(n);
        std::uint64_t v = 0;
        for (std::size_t j = 0; j < n; ++j) v |= std::to_integer<std::uint64_t>(b[j]) << (8 * j);
        return v;
    }
    std::string line() {
        std::string s;
        for (;;) {
            const auto c = static_cast<char>(u8());
            if (c == '\n') return s;
            if (s.size() > 256) bad("a GLOBAL name longer than 256 characters");
            s += c;
        }
    }
    void push(value v) { stack_.push_back(make(std::move(v))); }
    void push_text(kind k, std::uint64_t n) {
        const auto b = take(n);
        push(make_value(k, 0, 0.0, std::string(reinterpret_cast<const char*>(b.data()), b.size())));
    }
    void push_global(std::string dotted) {
        if (!h_.allow_global) bad("refusing to load '" + dotted + "': no globals are allowed");
        h_.allow_global(dotted);
        push(make_value(kind::global, 0, 0.0, std::move(dotted)));
    }
    [[nodiscard]] std::size_t floor() const noexcept { return marks_.empty() ? 0 : marks_.back(); }
    std::uint32_t pop() {
        if (stack_.size() <= floor()) bad("a value is taken from an empty stack");
        const auto v = stack_.back();
        stack_.pop_back();
        return v;
    }
    std::uint32_t top() const {
        if (stack_.size() <= floor()) bad("an operation on an empty stack");
        return stack_.back();
    }
    std::vector<std::uint32_t> pop_mark() {
        if (marks_.empty()) bad("no MARK to take values from");
        const auto m = marks_.back();
        marks_.pop_back();
        std::vector<std::uint32_t> v(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
        stack_.resize(m);
        return v;
    }
    void append(std::uint32_t list, const std::vector<std::uint32_t>& vs) {
        if (arena_[list].k != kind::list) bad("APPEND to something that is not a list");
        auto& items = arena_[list].items;
        items.insert(items.end(), vs.begin(), vs.end());
    }
    void set_items(std::uint32_t dict, const std::vector<std::uint32_t>& kv) {
        if (arena_[dict].k != kind::dict) bad("SETITEM on something that is not a dict");
        auto& items = arena_[dict].items;
        items.insert(items.end(), kv.begin(), kv.end());
    }
    void memo_put(std::uint64_t key) {
        if (key > max_values) bad("memo key " + std::to_string(key) + " is out of range");
        if (memo_.size() <= key) memo_.resize(static_cast<std::size_t>(key) + 1, absent);
        memo_[static_cast<std::size_t>(key)] = top();
    }
    void memo_get(std::uint64_t key) {
        if (key >= memo_.size() || memo_[static_cast<std::size_t>(key)] == absent) bad("memo key " + std::to_string(key) + " was never stored");
        stack_.push_back(memo_[static_cast<std::size_t>(key)]);
    }

    static constexpr std::uint32_t absent = ~std::uint32_t{0};
    std::span<const std::byte> in_;
    std::string name_;
    hooks h_;
    std::size_t pos_ = 0;
    std::vector<value> arena_;
    std::vector<std::uint32_t> stack_;
    std::vector<std::size_t> marks_;
    std::vector<std::uint32_t> memo_;
};

}  // namespace mixq::io::pickle
