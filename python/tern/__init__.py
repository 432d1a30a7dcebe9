"""Python helpers of the tern project: reference numerics for tests.

Everything here is plain numpy, independent of the C++ code, so that tests
can check the compiler against a second implementation of the same contract.
"""
