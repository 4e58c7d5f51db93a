// The one translation unit that compiles Asio, Asio.SSL and Beast (separate compilation): every
// other unit sees only declarations, which keeps rebuilds on two cores fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
