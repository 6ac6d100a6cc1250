"""The built-in sandbox carrier. (stub: being written)"""
