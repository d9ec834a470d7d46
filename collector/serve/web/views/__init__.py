"""The dashboard's views, one module per group; each turns a request's filters into a Page."""
