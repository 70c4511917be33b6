"""(package docstring: see the README's architecture section)"""
