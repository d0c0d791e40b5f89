"""The version of dce, readable by every stage without importing the package root."""

__version__ = "0.1.0"
