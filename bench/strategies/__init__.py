"""One module per strategy family; each class follows bench.model.Strategy.

Classes are registered by import path in bench.registry, so importing this
package imports nothing heavy.
"""
