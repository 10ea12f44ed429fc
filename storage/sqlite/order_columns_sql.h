// The orders columns as SQL: the one list that the import writes and the
// export reads, in kOrderColumns (CSV) order.
#pragma once

#include <string>

namespace jobsd::storage {

// "id, order_number, ..., updated_at"
const std::string& OrderColumnList();

}  // namespace jobsd::storage
