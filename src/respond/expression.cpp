#include "firebreak/respond/expression.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <variant>
#include <vector>

namespace firebreak::respond {

namespace {
constexpr std::size_t kMaxExpressionBytes = 4096;
constexpr int kMaxDepth = 64;
}  // namespace

// ---- AST ----

struct ExprNode {
  enum class Kind { kLiteral, kPath, kIndex, kCall, kList, kNot, kAnd, kOr, kCompare };
  Kind kind;
  Json literal;      // kLiteral
  std::string name;  // kPath root / member, kCall function, kCompare op
  std::vector<std::shared_ptr<const ExprNode>> kids;  // operands
  std::size_t column = 0;
};

namespace {

using NodePtr = std::shared_ptr<const ExprNode>;

struct Token {
  enum class Type { kEnd, kIdent, kString, kNumber, kOp, kPunct };
  Type type = Type::kEnd;
  std::string text;
  Json number;
  std::size_t column = 0;  // 1-based
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Result<std::vector<Token>> run() {
    std::vector<Token> out;
    while (true) {
      while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      Token t;
      t.column = pos_ + 1;
      if (pos_ == s_.size()) {
        out.push_back(t);
        return out;
      }
      const char c = s_[pos_];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        std::size_t b = pos_;
        while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                    s_[pos_] == '_' || s_[pos_] == '-')) {
          ++pos_;
        }
        t.type = Token::Type::kIdent;
        t.text = std::string(s_.substr(b, pos_ - b));
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '-' && pos_ + 1 < s_.size() &&
                  std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
        std::size_t b = pos_++;
        bool is_float = false;
        while (pos_ < s_.size() &&
               (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) {
          is_float |= s_[pos_] == '.';
          ++pos_;
        }
        const std::string text(s_.substr(b, pos_ - b));
        t.type = Token::Type::kNumber;
        t.text = text;
        auto parsed = parse_json(text);
        if (!parsed) return error(t.column, fmt::format("bad number '{}'", text));
        t.number = is_float ? Json(parsed->get<double>()) : *parsed;
      } else if (c == '\'' || c == '"') {
        const char q = c;
        ++pos_;
        std::string v;
        while (pos_ < s_.size() && s_[pos_] != q) {
          if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
          v += s_[pos_++];
        }
        if (pos_ == s_.size()) return error(t.column, "unterminated string");
        ++pos_;
        t.type = Token::Type::kString;
        t.text = std::move(v);
      } else {
        static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">="};
        bool two = false;
        for (auto op : kTwo) {
          if (s_.substr(pos_, 2) == op) {
            t.type = Token::Type::kOp;
            t.text = std::string(op);
            pos_ += 2;
            two = true;
            break;
          }
        }
        if (!two) {
          if (c == '<' || c == '>') {
            t.type = Token::Type::kOp;
          } else if (std::string_view("().,[]").find(c) != std::string_view::npos) {
            t.type = Token::Type::kPunct;
          } else {
            return error(t.column, fmt::format("unexpected character '{}'", c));
          }
          t.text = std::string(1, c);
          ++pos_;
        }
      }
      out.push_back(std::move(t));
    }
  }

 private:
  std::unexpected<Error> error(std::size_t col, std::string msg) {
    return fail(ErrorCode::kParse, fmt::format("column {}: {}", col, msg));
  }
  std::string_view s_;
  std::size_t pos_ = 0;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  Result<NodePtr> parse() {
    FIREBREAK_TRY(NodePtr n, parse_or());
    if (peek().type != Token::Type::kEnd) return unexpected_token();
    return n;
  }

 private:
  const Token& peek() const { return t_[i_]; }
  bool is_word(std::string_view w) const {
    return peek().type == Token::Type::kIdent && peek().text == w;
  }
  bool is_punct(std::string_view p) const {
    return peek().type == Token::Type::kPunct && peek().text == p;
  }
  std::unexpected<Error> unexpected_token() const {
    const auto& t = peek();
    return fail(ErrorCode::kParse,
                t.type == Token::Type::kEnd
                    ? fmt::format("column {}: unexpected end of expression", t.column)
                    : fmt::format("column {}: unexpected '{}'", t.column, t.text));
  }
  Status enter() {
    if (++depth_ > kMaxDepth) {
      return fail(ErrorCode::kLimitExceeded,
                  fmt::format("expression nested deeper than {} levels", kMaxDepth));
    }
    return {};
  }

  static NodePtr make(ExprNode::Kind k, std::size_t col, std::vector<NodePtr> kids = {},
                      std::string name = {}, Json lit = nullptr) {
    auto n = std::make_shared<ExprNode>();
    n->kind = k;
    n->column = col;
    n->kids = std::move(kids);
    n->name = std::move(name);
    n->literal = std::move(lit);
    return n;
  }

  Result<NodePtr> parse_or() {
    FIREBREAK_TRY_STATUS(enter());
    FIREBREAK_TRY(NodePtr left, parse_and());
    while (is_word("or")) {
      const auto col = peek().column;
      ++i_;
      FIREBREAK_TRY(NodePtr right, parse_and());
      left = make(ExprNode::Kind::kOr, col, {left, right});
    }
    --depth_;
    return left;
  }

  Result<NodePtr> parse_and() {
    FIREBREAK_TRY(NodePtr left, parse_not());
    while (is_word("and")) {
      const auto col = peek().column;
      ++i_;
      FIREBREAK_TRY(NodePtr right, parse_not());
      left = make(ExprNode::Kind::kAnd, col, {left, right});
    }
    return left;
  }

  Result<NodePtr> parse_not() {
    if (is_word("not")) {
      const auto col = peek().column;
      ++i_;
      FIREBREAK_TRY_STATUS(enter());
      FIREBREAK_TRY(NodePtr operand, parse_not());
      --depth_;
      return make(ExprNode::Kind::kNot, col, {operand});
    }
    return parse_compare();
  }

  Result<NodePtr> parse_compare() {
    FIREBREAK_TRY(NodePtr left, parse_primary());
    std::string op;
    const auto col = peek().column;
    if (peek().type == Token::Type::kOp) {
      op = peek().text;
      ++i_;
    } else if (is_word("in")) {
      op = "in";
      ++i_;
    } else if (is_word("not") && i_ + 1 < t_.size() && t_[i_ + 1].type == Token::Type::kIdent &&
               t_[i_ + 1].text == "in") {
      op = "not in";
      i_ += 2;
    } else {
      return left;
    }
    FIREBREAK_TRY(NodePtr right, parse_primary());
    return make(ExprNode::Kind::kCompare, col, {left, right}, op);
  }

  Result<NodePtr> parse_list(std::string_view close, std::vector<NodePtr>& items) {
    if (is_punct(close)) {
      ++i_;
      return nullptr;
    }
    while (true) {
      FIREBREAK_TRY(NodePtr item, parse_or());
      items.push_back(item);
      if (is_punct(",")) {
        ++i_;
        continue;
      }
      if (is_punct(close)) {
        ++i_;
        return nullptr;
      }
      return unexpected_token();
    }
  }

  Result<NodePtr> parse_primary() {
    const Token tok = peek();
    switch (tok.type) {
      case Token::Type::kString:
        ++i_;
        return make(ExprNode::Kind::kLiteral, tok.column, {}, {}, Json(tok.text));
      case Token::Type::kNumber:
        ++i_;
        return make(ExprNode::Kind::kLiteral, tok.column, {}, {}, tok.number);
      case Token::Type::kPunct:
        if (tok.text == "(") {
          ++i_;
          FIREBREAK_TRY(NodePtr inner, parse_or());
          if (!is_punct(")")) return unexpected_token();
          ++i_;
          return inner;
        }
        if (tok.text == "[") {
          ++i_;
          FIREBREAK_TRY_STATUS(enter());
          std::vector<NodePtr> items;
          FIREBREAK_TRY_STATUS(parse_list("]", items));
          --depth_;
          return make(ExprNode::Kind::kList, tok.column, std::move(items));
        }
        return unexpected_token();
      case Token::Type::kIdent: {
        ++i_;
        if (tok.text == "true") return make(ExprNode::Kind::kLiteral, tok.column, {}, {}, true);
        if (tok.text == "false") return make(ExprNode::Kind::kLiteral, tok.column, {}, {}, false);
        if (tok.text == "null") return make(ExprNode::Kind::kLiteral, tok.column, {}, {}, nullptr);
        if (tok.text == "and" || tok.text == "or" || tok.text == "not" || tok.text == "in") {
          --i_;
          return unexpected_token();
        }
        if (is_punct("(")) {
          ++i_;
          FIREBREAK_TRY_STATUS(enter());
          std::vector<NodePtr> args;
          FIREBREAK_TRY_STATUS(parse_list(")", args));
          --depth_;
          static constexpr std::string_view kFunctions[] = {
              "empty", "len",  "contains", "startswith", "endswith", "lower",
              "upper", "join", "default",  "keys",       "string"};
          if (std::find(std::begin(kFunctions), std::end(kFunctions), tok.text) ==
              std::end(kFunctions)) {
            return fail(ErrorCode::kParse,
                        fmt::format("column {}: unknown function '{}'", tok.column, tok.text));
          }
          return make(ExprNode::Kind::kCall, tok.column, std::move(args), tok.text);
        }
        NodePtr node = make(ExprNode::Kind::kPath, tok.column, {}, tok.text);
        while (true) {
          if (is_punct(".")) {
            ++i_;
            if (peek().type != Token::Type::kIdent) return unexpected_token();
            node = make(
                ExprNode::Kind::kIndex, peek().column,
                {node, make(ExprNode::Kind::kLiteral, peek().column, {}, {}, Json(peek().text))});
            ++i_;
          } else if (is_punct("[")) {
            const auto col = peek().column;
            ++i_;
            FIREBREAK_TRY(NodePtr index, parse_or());
            if (!is_punct("]")) return unexpected_token();
            ++i_;
            node = make(ExprNode::Kind::kIndex, col, {node, index});
          } else {
            return node;
          }
        }
      }
      default: return unexpected_token();
    }
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

// ---- evaluation ----

std::string type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "list";
    case Json::value_t::object: return "object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "number";
    default: return "value";
  }
}

std::string as_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return dump_json(v);
}

bool equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

class Evaluator {
 public:
  Evaluator(const Json& ctx, const std::string& where) : ctx_(ctx), where_(where) {}

  Result<Json> eval(const ExprNode& n) {
    switch (n.kind) {
      case ExprNode::Kind::kLiteral: return n.literal;
      case ExprNode::Kind::kPath: {
        if (!ctx_.is_object()) return Json(nullptr);
        auto it = ctx_.find(n.name);
        return it == ctx_.end() ? Json(nullptr) : *it;
      }
      case ExprNode::Kind::kIndex: {
        FIREBREAK_TRY(Json base, eval(*n.kids[0]));
        FIREBREAK_TRY(Json key, eval(*n.kids[1]));
        if (base.is_object() && key.is_string()) {
          auto it = base.find(key.get<std::string>());
          return it == base.end() ? Json(nullptr) : *it;
        }
        if (base.is_array() && key.is_number_integer()) {
          const auto i = key.get<std::int64_t>();
          const auto size = static_cast<std::int64_t>(base.size());
          const auto idx = i < 0 ? size + i : i;
          return idx >= 0 && idx < size ? base[static_cast<std::size_t>(idx)] : Json(nullptr);
        }
        return Json(nullptr);
      }
      case ExprNode::Kind::kList: {
        Json out = Json::array();
        for (const auto& k : n.kids) {
          FIREBREAK_TRY(Json v, eval(*k));
          out.push_back(std::move(v));
        }
        return out;
      }
      case ExprNode::Kind::kNot: {
        FIREBREAK_TRY(Json v, eval(*n.kids[0]));
        return Json(!truthy(v));
      }
      case ExprNode::Kind::kAnd: {
        FIREBREAK_TRY(Json l, eval(*n.kids[0]));
        if (!truthy(l)) return Json(false);
        FIREBREAK_TRY(Json r, eval(*n.kids[1]));
        return Json(truthy(r));
      }
      case ExprNode::Kind::kOr: {
        FIREBREAK_TRY(Json l, eval(*n.kids[0]));
        if (truthy(l)) return Json(true);
        FIREBREAK_TRY(Json r, eval(*n.kids[1]));
        return Json(truthy(r));
      }
      case ExprNode::Kind::kCompare: return compare(n);
      case ExprNode::Kind::kCall: return call(n);
    }
    return Json(nullptr);
  }

 private:
  std::unexpected<Error> error(const ExprNode& n, std::string msg) const {
    return fail(ErrorCode::kInvalidArgument, fmt::format("column {}: {}", n.column, msg),
                ErrorContext{.where = where_});
  }

  Result<Json> compare(const ExprNode& n) {
    FIREBREAK_TRY(Json l, eval(*n.kids[0]));
    FIREBREAK_TRY(Json r, eval(*n.kids[1]));
    const std::string& op = n.name;
    if (op == "==") return Json(equal(l, r));
    if (op == "!=") return Json(!equal(l, r));
    if (op == "in" || op == "not in") {
      bool found = false;
      if (r.is_array()) {
        found = std::any_of(r.begin(), r.end(), [&](const Json& e) { return equal(e, l); });
      } else if (r.is_object() && l.is_string()) {
        found = r.contains(l.get<std::string>());
      } else if (r.is_string() && l.is_string()) {
        found = r.get<std::string>().find(l.get<std::string>()) != std::string::npos;
      } else if (!r.is_null()) {
        return error(n, fmt::format("'{}' needs a list, object or string on the right, not {}", op,
                                    type_name(r)));
      }
      return Json(op == "in" ? found : !found);
    }
    // Ordering.
    int cmp;
    if (l.is_number() && r.is_number()) {
      const double a = l.get<double>(), b = r.get<double>();
      cmp = a < b ? -1 : (a > b ? 1 : 0);
    } else if (l.is_string() && r.is_string()) {
      cmp = l.get<std::string>().compare(r.get<std::string>());
    } else {
      return error(n,
                   fmt::format("cannot order {} and {} with '{}'", type_name(l), type_name(r), op));
    }
    if (op == "<") return Json(cmp < 0);
    if (op == "<=") return Json(cmp <= 0);
    if (op == ">") return Json(cmp > 0);
    return Json(cmp >= 0);
  }

  Result<Json> call(const ExprNode& n) {
    std::vector<Json> a;
    for (const auto& k : n.kids) {
      FIREBREAK_TRY(Json v, eval(*k));
      a.push_back(std::move(v));
    }
    const std::string& f = n.name;
    auto want = [&](std::size_t count) -> Status {
      if (a.size() != count) {
        return error(n, fmt::format("{}() takes {} argument{}, got {}", f, count,
                                    count == 1 ? "" : "s", a.size()));
      }
      return {};
    };
    if (f == "empty") {
      FIREBREAK_TRY_STATUS(want(1));
      return Json(!truthy(a[0]) && !a[0].is_boolean() && !a[0].is_number());
    }
    if (f == "len") {
      FIREBREAK_TRY_STATUS(want(1));
      if (a[0].is_string()) return Json(a[0].get<std::string>().size());
      if (a[0].is_array() || a[0].is_object()) return Json(a[0].size());
      if (a[0].is_null()) return Json(0);
      return error(n, fmt::format("len() of a {}", type_name(a[0])));
    }
    if (f == "contains") {
      FIREBREAK_TRY_STATUS(want(2));
      if (a[0].is_array()) {
        return Json(
            std::any_of(a[0].begin(), a[0].end(), [&](const Json& e) { return equal(e, a[1]); }));
      }
      if (a[0].is_string() && a[1].is_string()) {
        return Json(a[0].get<std::string>().find(a[1].get<std::string>()) != std::string::npos);
      }
      if (a[0].is_object() && a[1].is_string()) return Json(a[0].contains(a[1].get<std::string>()));
      return Json(false);
    }
    if (f == "startswith" || f == "endswith") {
      FIREBREAK_TRY_STATUS(want(2));
      if (!a[0].is_string() || !a[1].is_string()) return Json(false);
      const auto s = a[0].get<std::string>(), p = a[1].get<std::string>();
      return Json(f == "startswith" ? s.starts_with(p) : s.ends_with(p));
    }
    if (f == "lower" || f == "upper") {
      FIREBREAK_TRY_STATUS(want(1));
      std::string s = as_text(a[0]);
      for (auto& c : s) {
        c = static_cast<char>(f == "lower" ? std::tolower(static_cast<unsigned char>(c))
                                           : std::toupper(static_cast<unsigned char>(c)));
      }
      return Json(s);
    }
    if (f == "join") {
      FIREBREAK_TRY_STATUS(want(2));
      if (!a[0].is_array()) return Json(as_text(a[0]));
      std::string out;
      for (std::size_t i = 0; i < a[0].size(); ++i) {
        if (i) out += as_text(a[1]);
        out += as_text(a[0][i]);
      }
      return Json(out);
    }
    if (f == "default") {
      FIREBREAK_TRY_STATUS(want(2));
      return a[0].is_null() ? a[1] : a[0];
    }
    if (f == "keys") {
      FIREBREAK_TRY_STATUS(want(1));
      Json out = Json::array();
      if (a[0].is_object()) {
        for (auto it = a[0].begin(); it != a[0].end(); ++it) out.push_back(it.key());
      }
      return out;
    }
    if (f == "string") {
      FIREBREAK_TRY_STATUS(want(1));
      return Json(as_text(a[0]));
    }
    return error(n, fmt::format("unknown function '{}'", f));
  }

  const Json& ctx_;
  const std::string& where_;
};

void collect(const ExprNode& n, std::vector<std::string>* roots, std::vector<std::string>* steps) {
  if (n.kind == ExprNode::Kind::kPath && roots) roots->push_back(n.name);
  if (n.kind == ExprNode::Kind::kIndex && steps && n.kids[0]->kind == ExprNode::Kind::kPath &&
      n.kids[0]->name == "steps" && n.kids[1]->kind == ExprNode::Kind::kLiteral &&
      n.kids[1]->literal.is_string()) {
    steps->push_back(n.kids[1]->literal.get<std::string>());
  }
  for (const auto& k : n.kids) collect(*k, roots, steps);
}

}  // namespace

bool truthy(const Json& v) noexcept {
  switch (v.type()) {
    case Json::value_t::null: return false;
    case Json::value_t::boolean: return v.get<bool>();
    case Json::value_t::number_integer: return v.get<std::int64_t>() != 0;
    case Json::value_t::number_unsigned: return v.get<std::uint64_t>() != 0;
    case Json::value_t::number_float: return v.get<double>() != 0.0;
    case Json::value_t::string: return !v.get_ref<const std::string&>().empty();
    case Json::value_t::array:
    case Json::value_t::object: return !v.empty();
    default: return true;
  }
}

Result<Expression> Expression::compile(std::string_view text, std::string_view where) {
  auto located = [&](const Error& e) {
    return Error(e.code(), e.message(), ErrorContext{.where = std::string(where)});
  };
  if (text.size() > kMaxExpressionBytes) {
    return fail(
        located(Error(ErrorCode::kLimitExceeded,
                      fmt::format("expression longer than {} bytes", kMaxExpressionBytes))));
  }
  auto tokens = Lexer(text).run();
  if (!tokens) return fail(located(tokens.error()));
  Parser p(std::move(*tokens));
  auto root = p.parse();
  if (!root) return fail(located(root.error()));
  Expression e;
  e.text_ = std::string(text);
  e.where_ = std::string(where);
  e.root_ = std::move(*root);
  return e;
}

Result<Json> Expression::evaluate(const Json& context) const {
  if (!root_) return Json(nullptr);
  return Evaluator(context, where_).eval(*root_);
}

Result<bool> Expression::test(const Json& context) const {
  FIREBREAK_TRY(Json v, evaluate(context));
  return truthy(v);
}

void Expression::collect_roots(std::vector<std::string>& out) const {
  if (root_) collect(*root_, &out, nullptr);
}

void Expression::collect_step_refs(std::vector<std::string>& out) const {
  if (root_) collect(*root_, nullptr, &out);
}

// ---- templates ----

struct Template::Part {
  std::string text;  // literal text (when !expr)
  std::optional<Expression> expr;
};

struct Template::Node {
  enum class Kind { kLiteral, kString, kArray, kObject } kind = Kind::kLiteral;
  Json literal;
  std::vector<Part> parts;  // kString
  bool whole = false;       // kString made of exactly one expression: keep its type
  std::vector<std::pair<std::string, std::shared_ptr<const Node>>> members;  // kArray/kObject
};

namespace {

Result<std::shared_ptr<const Template::Node>> compile_node(const Json& v, std::string_view where,
                                                           int depth);

}  // namespace

namespace {

Result<std::vector<Template::Part>> split_string(const std::string& s, std::string_view where) {
  std::vector<Template::Part> parts;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t open = s.find("{{", pos);
    if (open == std::string::npos) {
      parts.push_back({s.substr(pos), std::nullopt});
      break;
    }
    if (open > pos) parts.push_back({s.substr(pos, open - pos), std::nullopt});
    const std::size_t close = s.find("}}", open + 2);
    if (close == std::string::npos) {
      return fail(ErrorCode::kParse, fmt::format("'{{{{' at offset {} is never closed", open),
                  ErrorContext{.where = std::string(where)});
    }
    const std::string inner = s.substr(open + 2, close - open - 2);
    auto expr = Expression::compile(inner, where);
    if (!expr) {
      return fail(Error(expr.error().code(),
                        fmt::format("in '{{{{{}}}}}': {}", inner, expr.error().message()),
                        ErrorContext{.where = std::string(where)}));
    }
    parts.push_back({{}, std::move(*expr)});
    pos = close + 2;
  }
  return parts;
}

Result<std::shared_ptr<const Template::Node>> compile_node(const Json& v, std::string_view where,
                                                           int depth) {
  if (depth > kMaxDepth) {
    return fail(ErrorCode::kLimitExceeded, "template nested too deeply",
                ErrorContext{.where = std::string(where)});
  }
  auto node = std::make_shared<Template::Node>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.find("{{") == std::string::npos) {
      node->literal = v;
      return node;
    }
    node->kind = Template::Node::Kind::kString;
    FIREBREAK_TRY(node->parts, split_string(s, where));
    node->whole = node->parts.size() == 1 && node->parts[0].expr.has_value();
    return node;
  }
  if (v.is_array() || v.is_object()) {
    node->kind = v.is_array() ? Template::Node::Kind::kArray : Template::Node::Kind::kObject;
    for (auto it = v.begin(); it != v.end(); ++it) {
      FIREBREAK_TRY(auto child, compile_node(*it, where, depth + 1));
      node->members.emplace_back(v.is_object() ? it.key() : std::string(), std::move(child));
    }
    return node;
  }
  node->literal = v;
  return node;
}

Result<Json> render_node(const Template::Node& n, const Json& ctx) {
  switch (n.kind) {
    case Template::Node::Kind::kLiteral: return n.literal;
    case Template::Node::Kind::kString: {
      if (n.whole) return n.parts[0].expr->evaluate(ctx);
      std::string out;
      for (const auto& p : n.parts) {
        if (!p.expr) {
          out += p.text;
          continue;
        }
        FIREBREAK_TRY(Json v, p.expr->evaluate(ctx));
        out += as_text(v);
      }
      return Json(out);
    }
    case Template::Node::Kind::kArray: {
      Json out = Json::array();
      for (const auto& [k, child] : n.members) {
        FIREBREAK_TRY(Json v, render_node(*child, ctx));
        out.push_back(std::move(v));
      }
      return out;
    }
    case Template::Node::Kind::kObject: {
      Json out = Json::object();
      for (const auto& [k, child] : n.members) {
        FIREBREAK_TRY(Json v, render_node(*child, ctx));
        out[k] = std::move(v);
      }
      return out;
    }
  }
  return Json(nullptr);
}

void collect_template_steps(const Template::Node& n, std::vector<std::string>& out) {
  for (const auto& p : n.parts) {
    if (p.expr) p.expr->collect_step_refs(out);
  }
  for (const auto& [k, child] : n.members) collect_template_steps(*child, out);
}

}  // namespace

Result<Template> Template::compile(const Json& value, std::string_view where) {
  Template t;
  t.source_ = value;
  FIREBREAK_TRY(t.root_, compile_node(value, where, 0));
  return t;
}

Result<Json> Template::render(const Json& context) const {
  if (!root_) return source_;
  return render_node(*root_, context);
}

void Template::collect_step_refs(std::vector<std::string>& out) const {
  if (root_) collect_template_steps(*root_, out);
}

}  // namespace firebreak::respond
