#include "storage/sqlite/order_columns_sql.h"

#include "engine/orders/order.h"

namespace jobsd::storage {

const std::string& OrderColumnList() {
  static const std::string list = [] {
    std::string columns;
    for (const OrderColumn& column : kOrderColumns) {
      if (!columns.empty()) columns += ", ";
      columns += column.name;
    }
    return columns;
  }();
  return list;
}

}  // namespace jobsd::storage
