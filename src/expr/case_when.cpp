// CASE WHEN c1 THEN v1 ... [ELSE e] END: each row takes the value of the first
// branch whose condition is true (null counts as not true); no match and no
// ELSE gives NULL. All conditions and values are evaluated column-wise, then
// one pass per branch copies the rows it wins.
#include "expr/nodes.hpp"
#include "expr/vector.hpp"

namespace runnel::expr {

namespace {

class CaseExpr final : public Node {
 public:
  CaseExpr(std::vector<ExprPtr> conditions, std::vector<ExprPtr> values, ExprPtr otherwise, const DataType& type)
      : Node(type), conditions_(std::move(conditions)), values_(std::move(values)), otherwise_(std::move(otherwise)) {
    for (auto& c : conditions_) add_inputs(*c);
    for (auto& v : values_) add_inputs(*v);
    if (otherwise_) add_inputs(*otherwise_);
  }

  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    size_t n = batch.num_rows;
    // branch[i]: index of the winning value for row i; values_.size() = ELSE.
    std::vector<uint32_t> branch(n, static_cast<uint32_t>(values_.size()));
    for (size_t k = conditions_.size(); k-- > 0;) {
      ColumnRef cond = conditions_[k]->evaluate(batch, ctx);
      const uint8_t* c = cond->data<uint8_t>();
      for (size_t i = 0; i < n; ++i)
        if (c[i] && cond->is_valid(i)) branch[i] = static_cast<uint32_t>(k);
    }
    std::vector<ColumnRef> sources;
    for (auto& v : values_) sources.push_back(v->evaluate(batch, ctx));
    sources.push_back(otherwise_ ? otherwise_->evaluate(batch, ctx) : Column::nulls(type_, n));
    if (type_.id == TypeId::Null) return sources.back();
    if (type_.id == TypeId::Struct || type_.id == TypeId::Array) return pick_rows_slow(sources, branch);
    auto out = new_column(type_, n);
    visit_physical(type_.id, [&](auto zero) {
      using T = decltype(zero);
      T* dst = out->data<T>();
      for (size_t i = 0; i < n; ++i) dst[i] = sources[branch[i]]->template data<T>()[i];
    });
    bool any_null = false;
    if (type_.is_string_like()) out->arena();  // an arena of its own that keeps the sources' alive
    for (auto& s : sources) {
      any_null |= !s->all_valid();
      if (type_.is_string_like()) out->share_arena(*s);
    }
    if (any_null)
      for (size_t i = 0; i < n; ++i)
        if (sources[branch[i]]->is_null(i)) out->set_null(i);
    return out;
  }

 private:
  ColumnRef pick_rows_slow(const std::vector<ColumnRef>& sources, const std::vector<uint32_t>& branch) const {
    auto out = Column::make(type_, branch.size());
    for (size_t i = 0; i < branch.size(); ++i) out->append_from(*sources[branch[i]], i);
    return out;
  }

  std::vector<ExprPtr> conditions_;
  std::vector<ExprPtr> values_;
  ExprPtr otherwise_;
};

}  // namespace

ExprPtr make_case(std::vector<ExprPtr> conditions, std::vector<ExprPtr> values, ExprPtr otherwise, const DataType& type) {
  return std::make_unique<CaseExpr>(std::move(conditions), std::move(values), std::move(otherwise), type);
}

}  // namespace runnel::expr
