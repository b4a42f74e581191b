// OrderBy (`order_by: [expr [ASC|DESC] [NULLS FIRST|LAST]]`, Spark's
// orderBy/sort): sorts each micro-batch's output of a complete-mode
// aggregation (the planner rejects it anywhere else, in Spark's words).
//
// push() keeps the batches of the micro-batch; end_batch() (called after the
// aggregation upstream has emitted) evaluates the sort keys once, sorts a
// permutation of row numbers by one stable pass per key from the last to the
// first (each pass a typed comparison loop over one column: no boxing),
// gathers every column once and emits the result. Spark's default null
// ordering: NULLS FIRST for ASC, NULLS LAST for DESC. Doubles and floats
// order as Spark's: NaN after every other value, -0.0 equal to 0.0.
// Structs order field by field (nulls inside first, as Spark's ascending).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "base/error.hpp"
#include "plan/steps.hpp"

namespace runnel {

namespace {

struct SortKey {
  std::unique_ptr<expr::Expression> expr;
  bool ascending = true;
  bool nulls_first = true;
  std::string text;  // for explain
};

template <class T>
int compare_values(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
  }
  return a < b ? -1 : (b < a ? 1 : 0);
}

// One stable pass over `perm` by the values of `column` (of physical type T).
template <class T>
void sort_pass(std::vector<uint32_t>& perm, const Column& column, bool ascending, bool nulls_first) {
  const T* v = column.data<T>();
  std::stable_sort(perm.begin(), perm.end(), [&](uint32_t a, uint32_t b) {
    const bool na = column.is_null(a), nb = column.is_null(b);
    if (na || nb) return nulls_first ? na && !nb : !na && nb;
    return ascending ? compare_values(v[a], v[b]) < 0 : compare_values(v[b], v[a]) < 0;
  });
}

// One stable pass putting the null rows first or last.
void sort_nulls(std::vector<uint32_t>& perm, const Column& column, bool nulls_first) {
  std::stable_sort(perm.begin(), perm.end(), [&](uint32_t a, uint32_t b) {
    return nulls_first ? column.is_null(a) && !column.is_null(b) : !column.is_null(a) && column.is_null(b);
  });
}

void sort_by(std::vector<uint32_t>& perm, const Column& column, bool ascending, bool nulls_first) {
  switch (column.id()) {
    case TypeId::Boolean: return sort_pass<uint8_t>(perm, column, ascending, nulls_first);
    case TypeId::Int:
    case TypeId::Date: return sort_pass<int32_t>(perm, column, ascending, nulls_first);
    case TypeId::Long:
    case TypeId::Timestamp: return sort_pass<int64_t>(perm, column, ascending, nulls_first);
    case TypeId::Float: return sort_pass<float>(perm, column, ascending, nulls_first);
    case TypeId::Double: return sort_pass<double>(perm, column, ascending, nulls_first);
    case TypeId::String:
    case TypeId::Binary: return sort_pass<std::string_view>(perm, column, ascending, nulls_first);
    case TypeId::Struct:
      // Field by field, the last first; then the struct's own nulls.
      for (size_t f = column.children().size(); f-- > 0;) sort_by(perm, *column.children()[f], ascending, ascending);
      if (!column.all_valid()) sort_nulls(perm, column, nulls_first);
      return;
    case TypeId::Null:
    case TypeId::Array: return;  // rejected by the planner (Null: every row equal)
  }
}

class OrderByOperator final : public Operator {
 public:
  OrderByOperator(SchemaRef schema, std::vector<SortKey> keys) : schema_(std::move(schema)), keys_(std::move(keys)) {}

  SchemaRef output_schema() const override { return schema_; }

  void push(const BatchContext&, Batch& batch, const Emit&) override {
    if (!batch.empty()) pending_.push_back(batch.sel ? batch.dense() : batch);
  }

  void end_batch(const BatchContext& ctx, const Emit& out) override {
    if (pending_.empty()) return;
    Batch all = concatenate();
    pending_.clear();
    std::vector<uint32_t> perm(all.num_rows);
    std::iota(perm.begin(), perm.end(), 0u);
    for (size_t k = keys_.size(); k-- > 0;)
      sort_by(perm, *keys_[k].expr->evaluate(all, ctx.eval), keys_[k].ascending, keys_[k].nulls_first);
    Batch sorted{schema_, {}, perm.size(), nullptr};
    for (auto& c : all.columns) sorted.columns.push_back(c->gather(perm.data(), perm.size()));
    out(sorted);
  }

  std::string explain() const override {
    std::string s = "Sort [";
    for (size_t i = 0; i < keys_.size(); ++i) s += (i ? ", " : "") + keys_[i].text;
    return s + "]";
  }

 private:
  // The micro-batch's rows as one dense batch (the slow path copies row by
  // row; an aggregation emits one batch unless its result exceeds batch_rows()).
  Batch concatenate() const {
    if (pending_.size() == 1) return pending_.front();
    size_t rows = 0;
    for (auto& b : pending_) rows += b.num_rows;
    Batch all = Batch::builder(schema_, rows);
    for (auto& b : pending_)
      for (size_t c = 0; c < all.columns.size(); ++c)
        for (size_t r = 0; r < b.num_rows; ++r) all.columns[c]->append_from(*b.columns[c], r);
    all.num_rows = rows;
    return all;
  }

  SchemaRef schema_;
  std::vector<SortKey> keys_;
  std::vector<Batch> pending_;  // this micro-batch's input
};

// Splits "expr [ASC|DESC] [NULLS FIRST|LAST]" into the expression text and the order.
SortKey parse_sort_key(const std::string& item) {
  std::vector<std::string> words;
  size_t end = item.size();
  auto last_word = [&]() {
    while (end > 0 && std::isspace(static_cast<unsigned char>(item[end - 1]))) --end;
    size_t start = end;
    while (start > 0 && !std::isspace(static_cast<unsigned char>(item[start - 1]))) --start;
    std::string w = item.substr(start, end - start);
    for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return std::make_pair(w, start);
  };
  SortKey key;
  std::optional<bool> nulls_first;
  if (auto [w, start] = last_word(); w == "FIRST" || w == "LAST") {
    size_t saved = end;
    end = start;
    if (last_word().first == "NULLS") {
      nulls_first = w == "FIRST";
      end = last_word().second;
    } else {
      end = saved;
    }
  }
  if (auto [w, start] = last_word(); w == "ASC" || w == "DESC") {
    key.ascending = w == "ASC";
    end = start;
  }
  key.nulls_first = nulls_first.value_or(key.ascending);
  key.text = item.substr(0, end);
  return key;
}

}  // namespace

std::unique_ptr<Operator> plan_order_by(const StepContext& ctx) {
  const config::Node& value = ctx.step.value;
  std::vector<config::Node> items = value.is_seq() ? value.items() : std::vector<config::Node>{value};
  if (items.empty()) value.fail("at least one sort expression is needed (e.g. 'count DESC')");
  std::vector<SortKey> keys;
  for (const config::Node& item : items) {
    SortKey key = parse_sort_key(item.str());
    key.expr = expr::compile(key.text, *ctx.input, item.where());
    const TypeId type = key.expr->type().id;
    if (type == TypeId::Array)
      item.fail("ordering by '" + key.text + "' of type " + key.expr->type().to_string() + " is not supported yet");
    key.text = item.str();
    keys.push_back(std::move(key));
  }
  return std::make_unique<OrderByOperator>(ctx.input, std::move(keys));
}

}  // namespace runnel
