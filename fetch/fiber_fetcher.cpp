// FiberFetcher: being written
