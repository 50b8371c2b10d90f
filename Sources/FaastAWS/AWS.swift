import FaastCore
