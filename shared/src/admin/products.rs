//! Catalog writes: products with options, variants, prices and images.
