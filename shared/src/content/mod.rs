//! Strapi content: client, normalisation, cache (being written).
