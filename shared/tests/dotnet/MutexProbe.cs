// A .NET program that drives one named System.Threading.Mutex from lines on
// stdin, for shared/tests/dotnet_mutex.rs. Each command answers with one line
// on stdout, so the test can wait for each step instead of sleeping.
//
//   open OWNED NAME   new Mutex(OWNED == 1, NAME, out created)
//                     -> "opened created=True|False"
//   openexisting NAME Mutex.OpenExisting(NAME) -> "opened" or "notfound"
//   wait MS           WaitOne(MS) (-1: forever)
//                     -> "got" | "timeout" | "abandoned" (AbandonedMutexException;
//                        the mutex is then owned, as .NET says)
//   release           ReleaseMutex() -> "released"
//   threadhold        WaitOne() on a new thread that then ends without
//                     releasing -> "thread ended" (.NET abandons the mutex)
//   close             Dispose() -> "closed"
//   exit              -> "bye", then the process ends
// Errors print "error TYPE: MESSAGE". Starts with "ready PID".
using System;
using System.Threading;

static class MutexProbe
{
    static void Main()
    {
        Mutex mutex = null;
        Console.WriteLine("ready " + System.Diagnostics.Process.GetCurrentProcess().Id);
        string line;
        while ((line = Console.ReadLine()) != null)
        {
            string[] words = line.Split(new[] { ' ' }, 3);
            try
            {
                switch (words[0])
                {
                    case "open":
                        bool created;
                        mutex = new Mutex(words[1] == "1", words[2], out created);
                        Console.WriteLine("opened created=" + created);
                        break;
                    case "openexisting":
                        try
                        {
                            mutex = Mutex.OpenExisting(words[1]);
                            Console.WriteLine("opened");
                        }
                        catch (WaitHandleCannotBeOpenedException)
                        {
                            Console.WriteLine("notfound");
                        }
                        break;
                    case "wait":
                        try
                        {
                            Console.WriteLine(mutex.WaitOne(int.Parse(words[1])) ? "got" : "timeout");
                        }
                        catch (AbandonedMutexException)
                        {
                            Console.WriteLine("abandoned");
                        }
                        break;
                    case "threadhold":
                        Thread holder = new Thread(() => mutex.WaitOne());
                        holder.Start();
                        holder.Join();
                        Console.WriteLine("thread ended");
                        break;
                    case "release":
                        mutex.ReleaseMutex();
                        Console.WriteLine("released");
                        break;
                    case "close":
                        mutex.Dispose();
                        mutex = null;
                        Console.WriteLine("closed");
                        break;
                    case "exit":
                        Console.WriteLine("bye");
                        return;
                    default:
                        Console.WriteLine("error unknown command: " + line);
                        break;
                }
            }
            catch (Exception e)
            {
                Console.WriteLine("error " + e.GetType().Name + ": " + e.Message);
            }
        }
    }
}
