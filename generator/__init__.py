"""liangshai (晾晒): a static-site generator for Party organisations' 公开晾晒 pages."""

__version__ = "0.1.0"
