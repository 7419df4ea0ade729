#include "firebreak/detect/condition.h"

#include <fmt/format.h>

#include <cctype>
#include <optional>

namespace firebreak::detect {

namespace {

struct Token {
  enum class Kind : std::uint8_t { kIdent, kLParen, kRParen, kPipe, kEnd };
  Kind kind;
  std::string_view text;
  std::size_t offset;
};

bool ident_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || c == '*' || c == '-' || c == '.' || u >= 0x80;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<ConditionNode> parse() {
    FIREBREAK_TRY_STATUS(tokenize());
    FIREBREAK_TRY(ConditionNode n, parse_or(0));
    const Token& t = peek();
    if (t.kind == Token::Kind::kPipe) {
      return error(t,
                   "the aggregation syntax ('| count() ...', '| near ...') is obsolete and "
                   "not supported: express it as a Sigma correlation rule");
    }
    if (t.kind != Token::Kind::kEnd) {
      return error(t, fmt::format("unexpected '{}' after a complete expression", t.text));
    }
    return n;
  }

 private:
  Status tokenize() {
    std::size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c)) != 0) {
        ++i;
      } else if (c == '(') {
        tokens_.push_back({Token::Kind::kLParen, text_.substr(i, 1), i});
        ++i;
      } else if (c == ')') {
        tokens_.push_back({Token::Kind::kRParen, text_.substr(i, 1), i});
        ++i;
      } else if (c == '|') {
        // The obsolete aggregation syntax follows: nothing after the pipe is Sigma.
        tokens_.push_back({Token::Kind::kPipe, text_.substr(i, 1), i});
        break;
      } else if (ident_char(c)) {
        const std::size_t start = i;
        while (i < text_.size() && ident_char(text_[i])) ++i;
        tokens_.push_back({Token::Kind::kIdent, text_.substr(start, i - start), start});
      } else {
        return fail(ErrorCode::kParse,
                    fmt::format("condition offset {}: unexpected character '{}'", i, c));
      }
    }
    tokens_.push_back({Token::Kind::kEnd, {}, text_.size()});
    return {};
  }

  const Token& peek() const { return tokens_[pos_]; }
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool peek_keyword(std::string_view kw) const {
    return peek().kind == Token::Kind::kIdent && iequals(peek().text, kw);
  }

  std::unexpected<Error> error(const Token& t, std::string_view what) const {
    return fail(ErrorCode::kParse, fmt::format("condition offset {}: {}", t.offset, what));
  }

  Result<ConditionNode> depth_check(std::size_t depth, const Token& t) const {
    // Each parenthesis level costs four frames (or, and, not, primary).
    if (depth > kMaxConditionDepth * 4) {
      return error(t, fmt::format("nested deeper than {} levels", kMaxConditionDepth));
    }
    return ConditionNode{};
  }

  Result<ConditionNode> parse_or(std::size_t depth) {
    FIREBREAK_TRY_STATUS(depth_check(depth, peek()));
    FIREBREAK_TRY(ConditionNode left, parse_and(depth + 1));
    if (!peek_keyword("or")) return left;
    ConditionNode n{ConditionNode::Kind::kOr, {}, {}, left.offset};
    n.children.push_back(std::move(left));
    while (peek_keyword("or")) {
      next();
      FIREBREAK_TRY(ConditionNode right, parse_and(depth + 1));
      n.children.push_back(std::move(right));
    }
    return n;
  }

  Result<ConditionNode> parse_and(std::size_t depth) {
    FIREBREAK_TRY_STATUS(depth_check(depth, peek()));
    FIREBREAK_TRY(ConditionNode left, parse_not(depth + 1));
    if (!peek_keyword("and")) return left;
    ConditionNode n{ConditionNode::Kind::kAnd, {}, {}, left.offset};
    n.children.push_back(std::move(left));
    while (peek_keyword("and")) {
      next();
      FIREBREAK_TRY(ConditionNode right, parse_not(depth + 1));
      n.children.push_back(std::move(right));
    }
    return n;
  }

  Result<ConditionNode> parse_not(std::size_t depth) {
    FIREBREAK_TRY_STATUS(depth_check(depth, peek()));
    if (peek_keyword("not")) {
      const Token t = next();
      FIREBREAK_TRY(ConditionNode child, parse_not(depth + 1));
      ConditionNode n{ConditionNode::Kind::kNot, {}, {}, t.offset};
      n.children.push_back(std::move(child));
      return n;
    }
    return parse_primary(depth + 1);
  }

  Result<ConditionNode> parse_primary(std::size_t depth) {
    FIREBREAK_TRY_STATUS(depth_check(depth, peek()));
    const Token t = next();
    switch (t.kind) {
      case Token::Kind::kLParen: {
        FIREBREAK_TRY(ConditionNode inner, parse_or(depth + 1));
        const Token close = next();
        if (close.kind != Token::Kind::kRParen) {
          return error(close, fmt::format("expected ')' to close '(' at offset {}", t.offset));
        }
        return inner;
      }
      case Token::Kind::kIdent: {
        if (iequals(t.text, "and") || iequals(t.text, "or")) {
          return error(t, fmt::format("'{}' needs an expression before it", t.text));
        }
        if (iequals(t.text, "of")) return error(t, "'of' needs '1' or 'all' before it");
        const bool one = t.text == "1";
        const bool all = iequals(t.text, "all");
        if (one || all) {
          if (!peek_keyword("of")) {
            if (all) return error(peek(), "expected 'of' after 'all'");
          } else {
            next();
            const Token target = next();
            if (target.kind != Token::Kind::kIdent || iequals(target.text, "and") ||
                iequals(target.text, "or") || iequals(target.text, "not") ||
                iequals(target.text, "of")) {
              return error(target, "expected a search-identifier pattern or 'them' after 'of'");
            }
            ConditionNode n{
                one ? ConditionNode::Kind::kOneOf : ConditionNode::Kind::kAllOf,
                iequals(target.text, "them") ? std::string("them") : std::string(target.text),
                {},
                t.offset};
            return n;
          }
        }
        // `N of x` with N other than 1 is not Sigma.
        if (!t.text.empty() && std::isdigit(static_cast<unsigned char>(t.text[0])) != 0 &&
            peek_keyword("of")) {
          return error(t,
                       fmt::format("'{} of' is not Sigma: only '1 of' and 'all of' exist", t.text));
        }
        if (iequals(t.text, "them")) return error(t, "'them' must follow '1 of' or 'all of'");
        if (t.text.find('*') != std::string_view::npos) {
          return error(
              t, fmt::format("wildcard '{}' is only allowed after '1 of' or 'all of'", t.text));
        }
        return ConditionNode{ConditionNode::Kind::kRef, std::string(t.text), {}, t.offset};
      }
      case Token::Kind::kRParen: return error(t, "unexpected ')'");
      case Token::Kind::kPipe:
        return error(t,
                     "the aggregation syntax ('| count() ...', '| near ...') is obsolete and "
                     "not supported: express it as a Sigma correlation rule");
      case Token::Kind::kEnd: return error(t, "unexpected end of condition");
    }
    return error(t, "unexpected token");
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<ConditionNode> parse_condition(std::string_view text) {
  if (text.size() > kMaxConditionBytes) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("condition is {} bytes, more than the {} byte limit", text.size(),
                            kMaxConditionBytes));
  }
  return Parser(text).parse();
}

std::string ConditionNode::to_string() const {
  switch (kind) {
    case Kind::kRef: return text;
    case Kind::kOneOf: return "1 of " + text;
    case Kind::kAllOf: return "all of " + text;
    case Kind::kNot: return "not " + children.at(0).to_string();
    case Kind::kAnd:
    case Kind::kOr: {
      std::string out = "(";
      for (std::size_t i = 0; i < children.size(); ++i) {
        if (i != 0) out += kind == Kind::kAnd ? " and " : " or ";
        out += children[i].to_string();
      }
      return out + ")";
    }
  }
  return {};
}

bool identifier_matches(std::string_view pattern, std::string_view name) noexcept {
  // Iterative glob with backtracking to the last star: linear in practice, no recursion.
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace firebreak::detect
