"""Static analysis of a parsed config: the route call graph (graph.py) and the linter
(lint.py).  Both work on the syntax tree alone (kamlite.cfg), so they run without the
modules a config loads; a loaded Program, when there is one, only refines them.
"""
