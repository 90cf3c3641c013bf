"""Mutation testing for fsm: ``./dev mutate [MODULE ...]`` (not run in CI).

A small AST mutator of our own, because the flows are data: ``fsm/flows/*.py``
hold edge targets, guards, error-code dicts and tuples at module level, which
function-body mutators (mutmut 3) never touch. Each mutant is one small change
to one file of a temporary copy of the repository; the tests that run the
changed line (found once, by running the suite under coverage with one context
per test) run against it with ``pytest -x``; a failing test kills the mutant, a
green run lets it survive, and a run past its timeout counts as killed (and is
reported as a timeout). Code that runs when its module is imported (the flows'
tables, class bodies, constants) is run by every test, so its mutants run the
covering tests first, then the rest of the suite, the tests that killed most
mutants so far first.

The parts: :mod:`.finder` lists the mutants of a file, :mod:`.equivalents`
reads the mutants judged equivalent, :mod:`.runner` runs the suite under
coverage and each mutant in its copy, :mod:`.report` prints the scores,
:mod:`.plugin` is the pytest plugin loaded in the copies, :mod:`.cli` the
command line.
"""
