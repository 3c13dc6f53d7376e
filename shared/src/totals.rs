//! Cart and order totals (being written).
