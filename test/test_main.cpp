// The one definition of main() for every Boost.Test executable of the project.
#define BOOST_TEST_MODULE minapp
#include <boost/test/unit_test.hpp>
